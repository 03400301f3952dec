// The fake's sync: plans over its in-memory files as the engine plans (new, changed, deletes
// with `delete`, conflicts where a test says both sides changed), keeps plans for review, runs
// what was reviewed as a job, and keeps saved pairs with their last runs.

import { emit } from "@tauri-apps/api/event";
import type {
  ConflictPolicy,
  EstimateView,
  FilterCount,
  LastRun,
  PairView,
  PlanAction,
  PriceRow,
  Review,
  SyncEnd,
  SyncPlan,
  SyncSetup,
  SyncStarted,
} from "../../src/ipc/bindings";
import type { Fake } from "./backend";

interface Kept {
  setup: SyncSetup;
  plan: SyncPlan;
}

/** A glob as the engine reads it (a name matches at any depth, a path from the top). */
function matcher(pattern: string): (rel: string) => boolean {
  const p = pattern.replace(/^\.?\//, "").replace(/\/$/, "");
  const re = p
    .split("**")
    .map((part) =>
      part
        .replace(/[.+^${}()|[\]\\]/g, "\\$&")
        .replace(/\*/g, "[^/]*")
        .replace(/\?/g, "[^/]"),
    )
    .join(".*");
  const whole = new RegExp(`^${re}(/.*)?$`);
  if (pattern.replace(/\/$/, "").includes("/")) return (rel) => whole.test(rel);
  const name = new RegExp(`^${re}$`);
  return (rel) => rel.split("/").some((part) => name.test(part));
}

function keeps(setup: { include: string[]; exclude: string[] }, rel: string): boolean {
  const inc = setup.include.map(matcher);
  const exc = setup.exclude.map(matcher);
  return (inc.length === 0 || inc.some((m) => m(rel))) && !exc.some((m) => m(rel));
}

export class FakeSync {
  plans = new Map<string, Kept>();
  /** Destinations a test says changed on both sides since the last sync. */
  conflicts = new Set<string>();
  /** Destinations a test says changed after the plan was made: a run holds them back. */
  changedSince = new Set<string>();
  pairs: PairView[] = [];
  prices: PriceRow[] = [
    {
      provider: "aws",
      price: {
        write_per_1000: 0.005,
        read_per_1000: 0.0004,
        list_per_1000: 0.005,
        delete_per_1000: 0,
        egress_per_gb: 0.09,
      },
      custom: false,
    },
    {
      provider: "custom",
      price: {
        write_per_1000: 0,
        read_per_1000: 0,
        list_per_1000: 0,
        delete_per_1000: 0,
        egress_per_gb: 0,
      },
      custom: false,
    },
  ];
  reviews: Review[] = [];
  private next = 1;

  constructor(private fake: Fake) {}

  /** Files below an end, by their path below it. */
  private below(end: SyncEnd) {
    const out = new Map<string, { size: number; modified: string | null }>();
    for (const [key, e] of this.fake.files.get(end.workspace) ?? []) {
      if (key.endsWith("/") || !key.startsWith(end.path)) continue;
      out.set(key.slice(end.path.length), { size: e.size, modified: e.modified ?? null });
    }
    return out;
  }

  count(source: SyncEnd, include: string[], exclude: string[]): FilterCount {
    let [matched, matched_bytes, files] = [0, 0, 0];
    for (const [rel, f] of this.below(source)) {
      files++;
      if (keeps({ include, exclude }, rel))
        [matched, matched_bytes] = [matched + 1, matched_bytes + f.size];
    }
    return { matched, matched_bytes, files, complete: true };
  }

  plan(setup: SyncSetup): SyncPlan {
    if (setup.source.workspace === setup.destination.workspace) {
      const [a, b] = [setup.source.path, setup.destination.path];
      if (a.startsWith(b) || b.startsWith(a))
        return this.fake.err("overlap", "the source and the destination overlap");
    }
    const [src, dst] = [this.below(setup.source), this.below(setup.destination)];
    const actions: Omit<PlanAction, "index">[] = [];
    let unchanged = 0;
    for (const [rel, f] of src) {
      if (!keeps(setup, rel)) continue;
      const there = dst.get(rel);
      const base = { source: rel, destination: rel, size: f.size, note: null };
      if (!there) actions.push({ ...base, action: "copy" });
      else if (this.conflicts.has(rel))
        actions.push({
          ...base,
          action: "conflict",
          note: "changed on both sides since the last sync",
        });
      else if (there.size !== f.size || there.modified !== f.modified)
        actions.push({ ...base, action: "update" });
      else unchanged++;
    }
    if (setup.delete)
      for (const [rel, f] of dst)
        if (!src.has(rel) && keeps(setup, rel))
          actions.push({
            action: "delete",
            source: null,
            destination: rel,
            size: f.size,
            note: null,
          });
    actions.sort((a, b) => (a.destination < b.destination ? -1 : 1));
    const indexed = actions.map((a, index) => ({ ...a, index }));
    const sum = (k: string) => indexed.filter((a) => a.action === k);
    const bytes = (k: string) => sum(k).reduce((n, a) => n + a.size, 0);
    const id = `plan-${this.next++}`;
    const plan: SyncPlan = {
      id,
      source: `${setup.source.workspace}:${setup.source.path}`,
      destination: `${setup.destination.workspace}:${setup.destination.path}`,
      made: "2026-12-07T10:00:00Z",
      counts: {
        copy: sum("copy").length,
        copy_bytes: bytes("copy"),
        update: sum("update").length,
        update_bytes: bytes("update"),
        delete: sum("delete").length,
        unchanged,
        skipped: 0,
        conflicts: sum("conflict").length,
      },
      actions: indexed,
      estimate: { requests: 0, cost: 0, source: null, destination: null },
    };
    plan.estimate = this.estimate(setup, indexed);
    this.plans.set(id, { setup, plan });
    return plan;
  }

  /** One write per file sent and delete per delete into S3, priced from the table. */
  estimate(setup: SyncSetup, actions: PlanAction[]): EstimateView {
    const s3 = setup.destination.workspace !== "local";
    if (!s3) return { requests: 0, cost: 0, source: null, destination: null };
    const writes = actions.filter((a) => a.action !== "delete").length;
    const deletes = actions.filter((a) => a.action === "delete").length;
    const provider =
      this.fake.workspaces.find((w) => w.form.id === setup.destination.workspace)?.provider ??
      "custom";
    const price = this.prices.find((p) => p.provider === provider)?.price;
    const cost = ((writes + 1) / 1000) * (price?.write_per_1000 ?? 0);
    return {
      requests: writes + deletes + 1,
      cost,
      source: null,
      destination: { provider, writes, reads: 0, lists: 1, deletes, egress_bytes: 0, cost },
    };
  }

  private reviewed(id: string, review: Review): { kept: Kept; actions: PlanAction[] } {
    const kept = this.plans.get(id);
    if (!kept) return this.fake.invalid("this plan is no longer kept: compare again");
    const out = new Set(review.leave_out);
    return { kept, actions: kept.plan.actions.filter((a) => !out.has(a.index)) };
  }

  run(id: string, review: Review): SyncStarted {
    this.reviews.push(structuredClone(review));
    const { kept, actions } = this.reviewed(id, review);
    this.plans.delete(id);
    const choice = new Map(review.choices.map((c) => [c.index, c.resolution]));
    const rule = kept.setup.conflict;
    const held = actions.filter((a) => this.changedSince.has(a.destination));
    const acts = actions.filter((a) => a.action !== "skip" && a.action !== "collision");
    let declined = 0;
    const carried = acts.filter((a) => {
      if (this.changedSince.has(a.destination)) return false;
      if (a.action !== "conflict") return true;
      const c: ConflictPolicy = choice.get(a.index) ?? rule;
      if (c === "skip") declined++;
      return c !== "skip";
    });
    const { source, destination } = kept.setup;
    const job =
      carried.length === 0
        ? null
        : this.fake.spawn(
            this.fake.jobView({
              id: "",
              kind: "sync",
              title: `Sync ${source.path || "/"} → ${destination.path || "/"}`,
              source: `${source.workspace}:${source.path}`,
              destination: `${destination.workspace}:${destination.path}`,
              files_total: carried.length,
              bytes_total: carried.reduce((n, a) => n + a.size, 0),
              touches: [source.workspace, destination.workspace],
            }),
            () => {
              for (const a of carried) {
                const key = destination.path + a.destination;
                if (a.action === "delete") this.fake.files.get(destination.workspace)?.delete(key);
                else {
                  const from = this.fake.files
                    .get(source.workspace)
                    ?.get(source.path + a.destination);
                  const name =
                    a.action === "conflict" && choice.get(a.index) === "rename"
                      ? key.replace(/(\.[^./]*)?$/, " (1)$1")
                      : key;
                  this.fake.put(
                    destination.workspace,
                    name,
                    from?.size ?? a.size,
                    from?.modified ?? undefined,
                  );
                }
              }
            },
          );
    const why = "changed since the plan was made: review it again";
    return {
      job,
      carried: carried.length,
      declined,
      held: held.map((a) => ({ action: a.action, destination: a.destination, why })),
      unreviewed: [],
    };
  }

  savePair(a: Record<string, unknown>): null {
    const setup = a.setup as SyncSetup;
    const name = (a.name as string).trim();
    const replacing = a.replacing as string | null;
    if (this.pairs.some((p) => p.pair.name === name && p.pair.name !== replacing))
      return this.fake.invalid(`another sync pair is called "${name}"; names must be unique`);
    const view: PairView = {
      pair: {
        name,
        source: `${setup.source.workspace}:${setup.source.path}`,
        destination: `${setup.destination.workspace}:${setup.destination.path}`,
        delete: setup.delete,
        compare: setup.compare,
        conflict: setup.conflict,
        include: setup.include,
        exclude: setup.exclude,
        max_deletes: a.maxDeletes as number,
        every_minutes: (a.everyMinutes as number | null) ?? null,
      },
      setup,
      last: null,
    };
    const at = this.pairs.findIndex((p) => p.pair.name === replacing);
    if (at >= 0) this.pairs[at] = view;
    else this.pairs.push(view);
    return null;
  }

  async runPair(name: string): Promise<LastRun> {
    const pair = this.pairs.find((p) => p.pair.name === name);
    if (!pair?.setup) return this.fake.invalid(`no sync pair is called "${name}"`);
    const plan = this.plan(pair.setup);
    let last: LastRun;
    const at = "2026-12-07T10:05:00Z";
    if (pair.pair.delete && plan.counts.delete > (pair.pair.max_deletes ?? 100)) {
      last = {
        at,
        outcome: "needs_review",
        job: null,
        message: `it would delete ${plan.counts.delete} file(s), more than this pair's limit of ${pair.pair.max_deletes}: compare it and review the plan`,
        scheduled: false,
      };
    } else {
      const started = this.run(plan.id, { leave_out: [], choices: [] });
      last = started.job
        ? {
            at,
            outcome: "started",
            job: started.job,
            message: `${started.carried} file(s) to carry`,
            scheduled: false,
          }
        : {
            at,
            outcome: "nothing_to_do",
            job: null,
            message: "both sides already match",
            scheduled: false,
          };
    }
    pair.last = last;
    await emit("pairs-changed", { name });
    return last;
  }

  handle(cmd: string, a: Record<string, unknown>): { found: boolean; value?: unknown } {
    const ok = (value: unknown) => ({ found: true, value: this.fake.ok(value) });
    switch (cmd) {
      case "sync_plan":
        return ok(this.plan(a.setup as SyncSetup));
      case "sync_pair_plan": {
        const pair = this.pairs.find((p) => p.pair.name === a.name);
        if (!pair?.setup) return this.fake.invalid(`no sync pair is called "${String(a.name)}"`);
        return ok(this.plan(pair.setup));
      }
      case "sync_estimate": {
        const { kept, actions } = this.reviewed(a.id as string, a.review as Review);
        return ok(this.estimate(kept.setup, actions));
      }
      case "sync_run":
        return ok(this.run(a.id as string, a.review as Review));
      case "sync_forget":
        this.plans.delete(a.id as string);
        return ok(null);
      case "sync_filter_count":
        return ok(this.count(a.source as SyncEnd, a.include as string[], a.exclude as string[]));
      case "sync_pairs_get":
        return ok(structuredClone(this.pairs));
      case "sync_pair_save":
        return ok(this.savePair(a));
      case "sync_pair_remove":
        this.pairs = this.pairs.filter((p) => p.pair.name !== a.name);
        return ok(null);
      case "sync_pair_run":
        return { found: true, value: this.runPair(a.name as string).then((l) => this.fake.ok(l)) };
      case "prices_get":
        return ok(structuredClone(this.prices));
      case "prices_save":
        this.prices = structuredClone(a.rows as PriceRow[]);
        return ok(null);
      default:
        return { found: false };
    }
  }
}
