import { describe, expect, it } from "vitest";
import type { PlanAction } from "../ipc";
import { carried, formatCost, groups, lines, review, undecided } from "./sync";

function act(index: number, action: string, destination: string, size = 10): PlanAction {
  return { index, action, source: destination, destination, size, note: null };
}

describe("a sync plan as the dialog reviews it", () => {
  const plan = [
    act(0, "update", "a.txt", 5),
    act(1, "copy", "d.txt", 7),
    act(2, "delete", "old.txt", 99),
    act(3, "conflict", "both.txt"),
    act(4, "skip", "link"),
    act(5, "mkdir", "empty/", 0),
  ];

  it("groups new, changed, deletes, conflicts and skips, with bytes to send", () => {
    const g = groups(plan);
    expect(g.map((x) => [x.key, x.actions.map((a) => a.index), x.bytes])).toEqual([
      ["new", [1, 5], 7],
      ["changed", [0], 5],
      ["delete", [2], 0],
      ["conflict", [3], 10],
      ["skipped", [4], 10],
    ]);
  });

  it("sends unticked actions and decided conflicts, not undecided ones or unticked choices", () => {
    const r = review(
      new Set([2, 0]),
      new Map([
        [3, "rename"],
        [0, "overwrite"],
      ]),
    );
    expect(r).toEqual({ leave_out: [0, 2], choices: [{ index: 3, resolution: "rename" }] });
    expect(review(new Set(), new Map([[3, "ask"]]))).toEqual({ leave_out: [], choices: [] });
  });

  it("holds the run while a ticked conflict is undecided under 'ask'", () => {
    expect(undecided(plan, new Set(), new Map(), "ask").map((a) => a.index)).toEqual([3]);
    expect(undecided(plan, new Set([3]), new Map(), "ask")).toEqual([]);
    expect(undecided(plan, new Set(), new Map([[3, "skip"]]), "ask")).toEqual([]);
    expect(undecided(plan, new Set(), new Map(), "rename")).toEqual([]);
  });

  it("counts what a run carries: ticked, not skips, not conflicts kept as they are", () => {
    const idx = (list: PlanAction[]) => list.map((a) => a.index);
    expect(idx(carried(plan, new Set(), new Map(), "ask"))).toEqual([0, 1, 2, 3, 5]);
    expect(idx(carried(plan, new Set([1]), new Map(), "skip"))).toEqual([0, 2, 5]);
    expect(idx(carried(plan, new Set(), new Map([[3, "rename"]]), "skip"))).toEqual([
      0, 1, 2, 3, 5,
    ]);
  });

  it("reads patterns one per line", () => {
    expect(lines(" *.tmp \n\n  node_modules\n")).toEqual(["*.tmp", "node_modules"]);
  });

  it("says small costs without rounding them to nothing", () => {
    expect(formatCost(0)).toBe("$0");
    expect(formatCost(0.0004)).toBe("< $0.001");
    expect(formatCost(0.0123)).toBe("$0.012");
    expect(formatCost(12.345)).toBe("$12.35");
  });
});
