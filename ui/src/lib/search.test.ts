import { describe, expect, it } from "vitest";
import { emptySearch, foundIn, queryOf } from "./search";

describe("the search box's query", () => {
  const now = Date.parse("2026-12-06T12:00:00Z");

  it("sends only what was filled in", () => {
    expect(queryOf({ ...emptySearch(), text: "  *.pdf " }, now)).toEqual({
      name: "*.pdf",
      larger_than: null,
      newer_than: null,
      storage_class: null,
    });
  });

  it("turns MiB into bytes and days into a moment", () => {
    const q = queryOf({ text: "", largerMb: "1.5", withinDays: "2", storageClass: "GLACIER" }, now);
    expect(q).toEqual({
      name: null,
      larger_than: 1572864,
      newer_than: "2026-12-04T12:00:00.000Z",
      storage_class: "GLACIER",
    });
  });

  it("refuses what is not a number, naming the field", () => {
    expect(queryOf({ ...emptySearch(), largerMb: "big" }, now)).toEqual({
      error: "Larger than must be a number from 0 to 100,000",
    });
    expect(queryOf({ ...emptySearch(), withinDays: "1e10" }, now)).toHaveProperty("error");
    expect(queryOf({ ...emptySearch(), withinDays: "-1" }, now)).toEqual({
      error: "Modified within must be a number from 0 to 100,000",
    });
  });

  it("says where a result lies below the folder searched", () => {
    expect(foundIn("docs/notes/deep/a.csv", "docs/")).toBe("notes/deep/");
    expect(foundIn("docs/a.csv", "docs/")).toBe("");
    expect(foundIn("a.csv", "")).toBe("");
  });
});
