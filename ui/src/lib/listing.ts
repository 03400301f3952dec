// Sorting, filtering and selecting the rows of a folder. Pure functions, tested with Vitest.

export interface Row {
  name: string;
  path: string;
  is_folder: boolean;
  size: number;
  modified: string | null;
  storage_class: string | null;
  /** A symbolic link (local workspaces): where it points. */
  link_target?: string | null;
}

/** Whether a row is a symbolic link, shown and handled as the link itself. */
export function isLink(r: Row): boolean {
  return typeof r.link_target === "string";
}

/**
 * Whether a row's storage class is an archive: `restore` must be restored before it can be read
 * (Glacier Flexible Retrieval, Deep Archive), `instant` reads at once (Glacier Instant Retrieval).
 * A listing cannot tell Intelligent-Tiering's archive tiers; Properties asks the object.
 */
export function archiveOf(r: Row): "restore" | "instant" | null {
  switch (r.is_folder ? null : r.storage_class) {
    case "GLACIER":
    case "DEEP_ARCHIVE":
      return "restore";
    case "GLACIER_IR":
      return "instant";
    default:
      return null;
  }
}

export type SortKey = "name" | "size" | "modified" | "type";
export interface Sort {
  key: SortKey;
  ascending: boolean;
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });

function typeOf(r: Row): string {
  if (r.is_folder) return "";
  const dot = r.name.lastIndexOf(".");
  return dot > 0 ? r.name.slice(dot + 1).toLowerCase() : "";
}

/** Folders first, then by the key; ties by name so the order is stable. */
export function sortRows(
  rows: readonly Row[],
  sort: Sort,
  folderBytes: (path: string) => number | undefined = () => undefined,
): Row[] {
  const dir = sort.ascending ? 1 : -1;
  // A folder's size, where it was counted (the Size column on demand).
  const size = (r: Row) => (r.is_folder ? (folderBytes(r.path) ?? 0) : r.size);
  const by = (a: Row, b: Row): number => {
    switch (sort.key) {
      case "size":
        return size(a) - size(b);
      case "modified":
        return (a.modified ?? "").localeCompare(b.modified ?? "");
      case "type":
        return collator.compare(typeOf(a), typeOf(b));
      case "name":
        return 0;
    }
  };
  return [...rows].sort((a, b) => {
    if (a.is_folder !== b.is_folder) return a.is_folder ? -1 : 1;
    const primary = by(a, b);
    return (primary !== 0 ? primary : collator.compare(a.name, b.name)) * dir;
  });
}

/** Rows whose name contains every word of the filter, case-insensitively. */
export function filterRows(rows: readonly Row[], filter: string): Row[] {
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return [...rows];
  return rows.filter((r) => {
    const name = r.name.toLowerCase();
    return words.every((w) => name.includes(w));
  });
}

export interface Selection {
  paths: Set<string>;
  /** Where a shift-click range starts. */
  anchor: string | null;
}

export function emptySelection(): Selection {
  return { paths: new Set(), anchor: null };
}

/** Only `path` selected (and where a shift-click range would start). */
export function selectOnly(path: string): Selection {
  return { paths: new Set([path]), anchor: path };
}

/** A click on `rows[index]`: plain selects it alone, ctrl toggles it, shift selects a range. */
export function clickRow(
  sel: Selection,
  rows: readonly Row[],
  index: number,
  mods: { shift: boolean; ctrl: boolean },
): Selection {
  const row = rows[index];
  if (!row) return sel;
  if (mods.shift && sel.anchor !== null) {
    const from = rows.findIndex((r) => r.path === sel.anchor);
    if (from >= 0) {
      const [lo, hi] = from < index ? [from, index] : [index, from];
      const paths = mods.ctrl ? new Set(sel.paths) : new Set<string>();
      for (let i = lo; i <= hi; i++) {
        const r = rows[i];
        if (r) paths.add(r.path);
      }
      return { paths, anchor: sel.anchor };
    }
  }
  if (mods.ctrl) {
    const paths = new Set(sel.paths);
    if (paths.has(row.path)) paths.delete(row.path);
    else paths.add(row.path);
    return { paths, anchor: row.path };
  }
  return { paths: new Set([row.path]), anchor: row.path };
}

export function selectAll(rows: readonly Row[]): Selection {
  return { paths: new Set(rows.map((r) => r.path)), anchor: rows[0]?.path ?? null };
}

/** "a/b/c/" → [{name:"a", path:"a/"}, {name:"b", path:"a/b/"}, {name:"c", path:"a/b/c/"}]. */
export function crumbs(path: string): { name: string; path: string }[] {
  const parts = path.split("/").filter(Boolean);
  return parts.map((name, i) => ({ name, path: parts.slice(0, i + 1).join("/") + "/" }));
}

export function parentOf(path: string): string {
  const trimmed = path.endsWith("/") ? path.slice(0, -1) : path;
  const cut = trimmed.lastIndexOf("/");
  return cut < 0 ? "" : trimmed.slice(0, cut + 1);
}

/** The last segment of a local path or key, without a trailing separator. */
export function baseName(path: string): string {
  const trimmed = path.replace(/[/\\]+$/, "");
  const cut = Math.max(trimmed.lastIndexOf("/"), trimmed.lastIndexOf("\\"));
  return cut < 0 ? trimmed : trimmed.slice(cut + 1);
}
