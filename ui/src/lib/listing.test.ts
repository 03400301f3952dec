import { describe, expect, it } from "vitest";
import {
  archiveOf,
  baseName,
  clickRow,
  crumbs,
  emptySelection,
  filterRows,
  parentOf,
  sortRows,
  type Row,
} from "./listing";

const row = (name: string, size = 0, modified: string | null = null, is_folder = false): Row => ({
  name,
  path: is_folder ? `${name}/` : name,
  is_folder,
  size,
  modified,
  storage_class: null,
});

const rows = [
  row("b.txt", 30, "2026-01-02T00:00:00Z"),
  row("A.pdf", 10, "2026-01-03T00:00:00Z"),
  row("zeta", 0, null, true),
  row("file10.txt", 20, "2026-01-01T00:00:00Z"),
  row("file9.txt", 20, "2026-01-01T00:00:00Z"),
];

describe("sortRows", () => {
  it("puts folders first and sorts names naturally, ignoring case", () => {
    expect(sortRows(rows, { key: "name", ascending: true }).map((r) => r.name)).toEqual([
      "zeta",
      "A.pdf",
      "b.txt",
      "file9.txt",
      "file10.txt",
    ]);
  });
  it("reverses within folders-first when descending", () => {
    const names = sortRows(rows, { key: "name", ascending: false }).map((r) => r.name);
    expect(names[0]).toBe("zeta");
    expect(names.slice(1)).toEqual(["file10.txt", "file9.txt", "b.txt", "A.pdf"]);
  });
  it("sorts by size with name as the tie-breaker", () => {
    expect(sortRows(rows, { key: "size", ascending: true }).map((r) => r.name)).toEqual([
      "zeta",
      "A.pdf",
      "file9.txt",
      "file10.txt",
      "b.txt",
    ]);
  });
  it("sorts by modified time", () => {
    expect(
      sortRows(rows, { key: "modified", ascending: false })
        .map((r) => r.name)
        .slice(1, 3),
    ).toEqual(["A.pdf", "b.txt"]);
  });
});

describe("filterRows", () => {
  it("matches every word, case-insensitively", () => {
    expect(filterRows(rows, "FILE 1").map((r) => r.name)).toEqual(["file10.txt"]);
    expect(filterRows(rows, "  ").length).toBe(rows.length);
  });
});

describe("clickRow", () => {
  const sorted = sortRows(rows, { key: "name", ascending: true });
  it("selects one row on a plain click", () => {
    const s = clickRow(emptySelection(), sorted, 1, { shift: false, ctrl: false });
    expect([...s.paths]).toEqual(["A.pdf"]);
  });
  it("toggles with ctrl and selects a range with shift", () => {
    let s = clickRow(emptySelection(), sorted, 1, { shift: false, ctrl: false });
    s = clickRow(s, sorted, 3, { shift: true, ctrl: false });
    expect([...s.paths]).toEqual(["A.pdf", "b.txt", "file9.txt"]);
    s = clickRow(s, sorted, 2, { shift: false, ctrl: true });
    expect([...s.paths].sort()).toEqual(["A.pdf", "file9.txt"]);
  });
});

describe("paths", () => {
  it("splits a folder path into crumbs", () => {
    expect(crumbs("a/b c/")).toEqual([
      { name: "a", path: "a/" },
      { name: "b c", path: "a/b c/" },
    ]);
    expect(crumbs("")).toEqual([]);
  });
  it("finds parents and base names", () => {
    expect(parentOf("a/b/c.txt")).toBe("a/b/");
    expect(parentOf("a/b/")).toBe("a/");
    expect(parentOf("top.txt")).toBe("");
    expect(baseName("/home/me/Desktop/")).toBe("Desktop");
    expect(baseName("C:\\Users\\me\\x.txt")).toBe("x.txt");
  });
});

describe("archiveOf", () => {
  const file = (storage_class: string | null, is_folder = false) => ({
    name: "a",
    path: "a",
    is_folder,
    size: 1,
    modified: null,
    storage_class,
  });
  it("marks what must be restored before it is read", () => {
    expect(archiveOf(file("GLACIER"))).toBe("restore");
    expect(archiveOf(file("DEEP_ARCHIVE"))).toBe("restore");
  });
  it("marks instant-retrieval archives apart", () => {
    expect(archiveOf(file("GLACIER_IR"))).toBe("instant");
  });
  it("leaves other classes, no class and folders unmarked", () => {
    expect(archiveOf(file("STANDARD"))).toBeNull();
    expect(archiveOf(file("INTELLIGENT_TIERING"))).toBeNull();
    expect(archiveOf(file(null))).toBeNull();
    expect(archiveOf(file("GLACIER", true))).toBeNull();
  });
});
