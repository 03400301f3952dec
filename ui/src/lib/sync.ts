// The Sync dialog's reading of a plan: actions grouped as a person reviews them, what was
// unticked and decided, and whether the plan can run. The engine plans and runs; this only
// sorts what it said and collects the reviewer's answers.

import type { ConflictPolicy, PlanAction, Review, SyncEnd } from "../ipc";

export type GroupKey = "new" | "changed" | "delete" | "conflict" | "skipped";

export interface Group {
  key: GroupKey;
  title: string;
  actions: PlanAction[];
  bytes: number;
}

const titles: Record<GroupKey, string> = {
  new: "New",
  changed: "Changed",
  delete: "To delete",
  conflict: "Conflicts",
  skipped: "Not carried",
};

/** Which group an action is reviewed in. */
export function groupOf(action: string): GroupKey | null {
  switch (action) {
    case "copy":
    case "mkdir":
    case "link":
      return "new";
    case "update":
      return "changed";
    case "delete":
      return "delete";
    case "conflict":
      return "conflict";
    case "skip":
    case "collision":
      return "skipped";
    default:
      return null;
  }
}

/** The plan's actions by group, in the order a person reviews them; empty groups left out. */
export function groups(actions: PlanAction[]): Group[] {
  const by = new Map<GroupKey, PlanAction[]>();
  for (const a of actions) {
    const key = groupOf(a.action);
    if (!key) continue;
    if (!by.has(key)) by.set(key, []);
    by.get(key)!.push(a);
  }
  const order: GroupKey[] = ["new", "changed", "delete", "conflict", "skipped"];
  return order
    .filter((k) => by.has(k))
    .map((key) => {
      const list = by.get(key)!;
      return {
        key,
        title: titles[key],
        actions: list,
        bytes: key === "delete" ? 0 : list.reduce((n, a) => n + a.size, 0),
      };
    });
}

/** Whether the reviewer can untick an action (what is not carried is only shown). */
export function tickable(a: PlanAction): boolean {
  return groupOf(a.action) !== "skipped";
}

/** What the person changed, as the engine takes it. */
export function review(unticked: Set<number>, choices: Map<number, ConflictPolicy>): Review {
  return {
    leave_out: [...unticked].sort((a, b) => a - b),
    choices: [...choices]
      .filter(([i, c]) => !unticked.has(i) && c !== "ask")
      .map(([index, resolution]) => ({ index, resolution })),
  };
}

/** The ticked conflicts nobody decided: with the rule "ask", each needs a choice to run. */
export function undecided(
  actions: PlanAction[],
  unticked: Set<number>,
  choices: Map<number, ConflictPolicy>,
  rule: ConflictPolicy,
): PlanAction[] {
  if (rule !== "ask") return [];
  return actions.filter(
    (a) =>
      a.action === "conflict" &&
      !unticked.has(a.index) &&
      (choices.get(a.index) ?? "ask") === "ask",
  );
}

/** The actions a run carries: ticked, not only shown, and not conflicts left as they are. */
export function carried(
  actions: PlanAction[],
  unticked: Set<number>,
  choices: Map<number, ConflictPolicy>,
  rule: ConflictPolicy,
): PlanAction[] {
  return actions.filter(
    (a) =>
      tickable(a) &&
      !unticked.has(a.index) &&
      !(a.action === "conflict" && (choices.get(a.index) ?? rule) === "skip"),
  );
}

/** Patterns typed one per line, as the engine takes them. */
export function lines(text: string): string[] {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "");
}

/** A sync end in words: `Workspace name: /folder/`. */
export function endLabel(end: SyncEnd, nameOf: (id: string) => string): string {
  const path = end.path.replace(/^\/+/, "");
  return `${nameOf(end.workspace)}: /${path}`;
}

/** A price estimate in words: cents and below shown to the tenth of a cent. */
export function formatCost(dollars: number | null): string {
  if (!dollars) return "$0";
  if (dollars < 0.001) return "< $0.001";
  if (dollars < 1) return `$${dollars.toFixed(3)}`;
  return `$${dollars.toFixed(2)}`;
}

/** The conflict choices, in the dialog's words. */
export const conflictChoices: { value: ConflictPolicy; label: string }[] = [
  { value: "ask", label: "Ask for each file" },
  { value: "overwrite", label: "Use the source's (replace theirs)" },
  { value: "rename", label: "Keep both (source's as “name (1)”)" },
  { value: "skip", label: "Keep the destination's" },
  { value: "overwrite-if-newer", label: "The newer one wins" },
];
