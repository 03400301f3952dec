// Turning what the search box holds into the engine's query. Pure, tested with Vitest.

import type { FindQuery_Deserialize } from "../ipc";

/** The search box and its options, as typed. */
export interface SearchForm {
  /** Text the name contains, or a glob (`*.pdf`; with a `/`, a path below the folder). */
  text: string;
  /** Larger than this many MiB ("" for any size). */
  largerMb: string;
  /** Modified within this many days ("" for any time). */
  withinDays: string;
  /** A storage class ("" for any). */
  storageClass: string;
}

export function emptySearch(): SearchForm {
  return { text: "", largerMb: "", withinDays: "", storageClass: "" };
}

const MIB = 1024 * 1024;
const DAY_MS = 86_400_000;

/** The query the form asks for, or why it cannot be one. `now` in milliseconds. */
export function queryOf(form: SearchForm, now: number): FindQuery_Deserialize | { error: string } {
  const number = (text: string, what: string): number | null | { error: string } => {
    const t = text.trim();
    if (t === "") return null;
    const n = Number(t);
    // Past 100,000 (MiB or days) a number is a slip of the keyboard, and dates would overflow.
    return Number.isFinite(n) && n >= 0 && n <= 100_000
      ? n
      : { error: `${what} must be a number from 0 to 100,000` };
  };
  const larger = number(form.largerMb, "Larger than");
  if (larger !== null && typeof larger === "object") return larger;
  const days = number(form.withinDays, "Modified within");
  if (days !== null && typeof days === "object") return days;
  const text = form.text.trim();
  const query: FindQuery_Deserialize = {
    name: text === "" ? null : text,
    larger_than: larger === null ? null : Math.round(larger * MIB),
    newer_than: days === null ? null : new Date(now - days * DAY_MS).toISOString(),
    storage_class: form.storageClass === "" ? null : form.storageClass,
  };
  return query;
}

/** Where a result lies below the folder searched: `a/b/` for `base` + `a/b/name`. */
export function foundIn(path: string, base: string): string {
  const below = path.startsWith(base) ? path.slice(base.length) : path;
  const cut = below.lastIndexOf("/");
  return cut < 0 ? "" : below.slice(0, cut + 1);
}
