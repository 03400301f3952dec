// What the window shows: the settings, the workspace and folder open, its rows, the filter,
// sort and selection, and the changes made to it (new folder, delete, rename). Transfers, jobs,
// dialogs and messages have modules of their own beside this one.

import {
  api,
  type EditConflict,
  type FerryError,
  type FindQuery_Deserialize,
  type JobView,
  type PairView,
  type SettingsView,
  type WorkspaceView,
} from "../ipc";
import { dialogs, type Dialog } from "./dialogs.svelte";
import { jobs } from "./jobs.svelte";
import {
  baseName,
  clickRow,
  emptySelection,
  filterRows,
  selectAll,
  selectOnly,
  sortRows,
  type Row,
  type Selection,
  type Sort,
} from "./listing";
import { asFerryError, messages } from "./messages.svelte";
import { folderSizes } from "./sizes.svelte";

/** Rows kept in memory while scrolling; pages arrive as the list nears its end. */
const PAGE_AHEAD = 200;
/**
 * Results a search gathers by itself; past them it waits for the list to be scrolled (or
 * sorted), so a search matching everything in a huge bucket does not fill the window's memory.
 */
export const SEARCH_AHEAD = 5000;

declare global {
  interface Window {
    /** Set by the app for a window opened on a place (`window_open`). */
    __FERRY_START__?: { workspace: string | null; path: string | null };
  }
}

/** Where this window was asked to start, if anywhere; read once. */
function startPlace(): { workspace: string | null; path: string | null } | undefined {
  const start = window.__FERRY_START__;
  window.__FERRY_START__ = undefined;
  return start;
}

/** Opens another window on `workspace` at `path`: the same workspaces, jobs and settings. */
export function newWindow(workspace: string | null, path: string | null): void {
  api.windowOpen(workspace, path).catch((e: unknown) => messages.fail(e));
}

/** A search below the folder shown: what was asked, shown instead of the folder's rows. */
export interface Search {
  query: FindQuery_Deserialize;
}

export class App {
  settings = $state<SettingsView | null>(null);
  workspaceId = $state<string | null>(null);
  path = $state("");
  /** Replaced, never changed in place: raw, so a big folder's rows are not each proxied. */
  rows = $state.raw<Row[]>([]);
  loading = $state(false);
  done = $state(true);
  listError = $state<FerryError | null>(null);
  sort = $state<Sort>({ key: "name", ascending: true });
  filter = $state("");
  /** Set while search results are shown instead of the folder. */
  search = $state<Search | null>(null);
  selection = $state<Selection>(emptySelection());
  /** The dialog open ([`dialogs`]), as the components set and read it. */
  get dialog(): Dialog | null {
    return dialogs.current;
  }
  set dialog(d: Dialog | null) {
    dialogs.show(d);
  }
  dropTarget = $state<string | null>(null);
  /** What is being dragged in from the desktop (its paths), while it is. */
  dragging = $state<string[]>([]);
  /** Where the first dragged file would land, when the workspace's upload policy places it. */
  dropPreview = $state<string | null>(null);
  /** Copied with Ctrl+C, pasted with Ctrl+V (possibly into another workspace). */
  clipboard = $state<{ workspace: string; paths: string[] } | null>(null);
  connection = $state<Record<string, "ok" | "error" | "unknown">>({});
  /** Saves of files edited in other apps waiting for the person to say what happens. */
  editConflicts = $state<EditConflict[]>([]);

  private listing: number | null = null;
  private generation = 0;

  visible = $derived(
    sortRows(filterRows(this.rows, this.filter), this.sort, (p) => folderSizes.bytes(p)),
  );
  workspace = $derived<WorkspaceView | null>(
    this.settings?.workspaces.find((w) => w.form.id === this.workspaceId) ?? null,
  );
  /** What actions act on: selected rows the filter still shows (hidden ones are not touched). */
  selectedRows = $derived(this.visible.filter((r) => this.selection.paths.has(r.path)));
  selectedPaths = $derived(this.selectedRows.map((r) => r.path));

  async start(): Promise<void> {
    await this.loadSettings();
    await this.openDefault();
    await this.watchJobs();
    void api.onEditConflict((c) => (this.editConflicts = [...this.editConflicts, c]));
    void api.onEditSaved((saved) => {
      const name = baseName(saved.path);
      const where = this.nameOf(saved.workspace);
      messages.info(
        saved.as_copy
          ? `Saved your ${name} beside theirs in ${where}`
          : `Saved ${name} back to ${where}`,
        saved.as_copy ? "Later saves of it are not uploaded." : undefined,
      );
      if (saved.workspace === this.workspaceId && !this.search) void this.refresh();
    });
    void api.onEditFailed((f) =>
      messages.toast(
        "error",
        `Saving ${baseName(f.path)} back to ${this.nameOf(f.workspace)} failed: ${f.message}`,
        "Ferry tries again in half a minute, or when you save again.",
      ),
    );
    void api.onPairsChanged(async (name) => {
      await this.loadPairs();
      // A scheduled run that stopped says so: nobody pressed Run to see it.
      const last = this.pairs.find((p) => p.pair.name === name)?.last;
      if (last?.scheduled && (last.outcome === "needs_review" || last.outcome === "failed"))
        messages.toast("error", `Sync pair “${name}” did not run: ${last.message}`);
    });
    void api.onSettingsChanged(async () => {
      await this.loadSettings();
      // A file that was broken at start-up and is fixed now: catch up on what was skipped.
      if (!this.workspaceId) await this.openDefault();
      if (!jobs.watching) await this.watchJobs();
    });
  }

  /** A workspace's name as the sidebar shows it. */
  nameOf(workspace: string): string {
    return this.settings?.workspaces.find((w) => w.form.id === workspace)?.form.name ?? workspace;
  }

  /** Rows of this window are being dragged out: their drop is not an upload into it. */
  draggingOut = $state(false);

  /** Drags the selected rows out of the window, as files, while the mouse button is down. */
  async dragOut(): Promise<void> {
    const ws = this.workspaceId;
    const paths = this.selectedPaths;
    if (!ws || paths.length === 0 || this.draggingOut) return;
    this.draggingOut = true;
    try {
      const end = await api.dragOut(ws, [...paths]);
      if (end === "not_ready")
        messages.toast(
          "error",
          "Dropped before the download was done: nothing was handed over",
          "Drag it again once its download in the transfer panel has finished.",
        );
    } catch (e) {
      messages.fail(e);
    } finally {
      this.draggingOut = false;
    }
  }

  /** Opens a file with the app this computer uses for it; `edit` sends each save back. */
  async openWith(path: string, edit: boolean): Promise<void> {
    const ws = this.workspaceId;
    if (!ws) return;
    const local = this.workspace?.form.kind === "local";
    if (!local) messages.info(`Downloading ${baseName(path)} to open it…`);
    try {
      const opened = await api.openFile(ws, path, edit);
      if (opened.edit !== null)
        messages.info(
          `Editing ${baseName(path)} in another app`,
          "Each save is uploaded back; if someone changes it meanwhile, Ferry asks first.",
        );
    } catch (e) {
      messages.fail(e);
    }
  }

  private async openDefault(): Promise<void> {
    if (!this.settings || this.settings.problem) return;
    // A window opened on a workspace or folder (Open in new window) starts there, once.
    const start = startPlace();
    if (start?.workspace && this.settings.workspaces.some((w) => w.form.id === start.workspace)) {
      await this.open(start.workspace, start.path ?? "");
      return;
    }
    const first = this.settings.default_workspace ?? this.settings.workspaces[0]?.form.id ?? null;
    if (first) await this.open(first, "");
  }

  /** Subscribes the transfer panel; needs usable settings (the banner explains when not). */
  private async watchJobs(): Promise<void> {
    if (!this.settings || this.settings.problem) return;
    await jobs.watch((job) => this.jobEnded(job));
  }

  /**
   * A job that changed the folder shown refreshes it. Search results stay as they are (running
   * the search again would list everything below anew and lose the place); F5 does it.
   */
  private jobEnded(job: JobView): void {
    if (this.search) return;
    if (this.workspaceId && job.touches.includes(this.workspaceId)) void this.refresh();
  }

  /** The saved sync pairs, with each one's last run. */
  pairs = $state.raw<PairView[]>([]);

  async loadPairs(): Promise<void> {
    try {
      this.pairs = this.settings?.problem ? [] : await api.syncPairsGet();
    } catch (e) {
      messages.fail(e);
    }
  }

  /** Opens the Sync dialog on `path` (a folder) of the workspace open. */
  syncFrom(path: string): void {
    if (!this.workspaceId) return;
    this.dialog = { kind: "sync", here: { workspace: this.workspaceId, path } };
  }

  async loadSettings(): Promise<void> {
    try {
      this.settings = await api.settingsGet();
      void this.loadPairs();
      if (
        this.workspaceId &&
        !this.settings.workspaces.some((w) => w.form.id === this.workspaceId)
      ) {
        this.workspaceId = null;
        this.rows = [];
      }
    } catch (e) {
      messages.fail(e);
    }
  }

  // ---- browsing -------------------------------------------------------------------------

  async open(workspace: string, path: string): Promise<void> {
    this.search = null;
    await this.load(workspace, path, () => api.listOpen(workspace, path));
  }

  /**
   * Searches below the folder shown: results replace its rows as they are found, page after
   * page, until {@link SEARCH_AHEAD} of them (then as the list is scrolled).
   */
  async find(query: FindQuery_Deserialize): Promise<void> {
    const workspace = this.workspaceId;
    if (!workspace) return;
    const path = this.path;
    this.search = { query };
    await this.load(workspace, path, () => api.searchOpen(workspace, path, query));
    await this.drain(SEARCH_AHEAD);
  }

  /** Stops a search (its listing is closed) and shows the folder again. */
  endSearch(): void {
    if (this.search && this.workspaceId) void this.open(this.workspaceId, this.path);
  }

  /** Replaces the rows with what `first` opens. */
  private async load(
    workspace: string,
    path: string,
    first: () => Promise<{ listing: number; entries: Row[]; done: boolean }>,
  ): Promise<void> {
    const generation = ++this.generation;
    folderSizes.reset();
    if (this.listing !== null) void api.listClose(this.listing).catch(() => {});
    this.listing = null;
    this.workspaceId = workspace;
    this.path = path;
    this.rows = [];
    this.selection = emptySelection();
    this.filter = "";
    this.listError = null;
    this.searchFailed = null;
    this.loading = true;
    this.loadingMore = false;
    this.done = false;
    this.updateTitle();
    try {
      const page = await first();
      if (generation !== this.generation) {
        // Left before it answered: nobody will ask it for more, so it is closed now.
        void api.listClose(page.listing).catch(() => {});
        return;
      }
      this.listing = page.listing;
      this.rows = page.entries;
      this.done = page.done;
      this.connection[workspace] = "ok";
      if (!page.done && page.entries.length === 0 && !this.search) await this.more();
    } catch (e) {
      if (generation !== this.generation) return;
      this.listError = asFerryError(e);
      this.done = true;
      if (this.listError.code !== "not_found") this.connection[workspace] = "error";
    } finally {
      if (generation === this.generation) this.loading = false;
    }
  }

  /**
   * The next page, when the list scrolls near the rows loaded so far. A page already on its
   * way is the one waited for: callers that loop until `done` (a search, a sort) then wait for
   * it instead of spinning while the window's own scrolling fetched it.
   */
  more(): Promise<void> {
    if (this.done || this.listing === null) return Promise.resolve();
    // Read (it is reactive) so that a view whose ask was answered by the page already on its
    // way asks again once that page has landed.
    if (this.loadingMore && this.pending?.generation === this.generation) {
      return this.pending.page;
    }
    const generation = this.generation;
    this.pending = { generation, page: this.fetchMore(this.listing, generation) };
    return this.pending.page;
  }
  /** The page on its way, and for which rows (a page of a folder left meanwhile is not). */
  private pending: { generation: number; page: Promise<void> } | null = null;

  private async fetchMore(listing: number, generation: number): Promise<void> {
    this.loadingMore = true;
    try {
      const page = await api.listMore(listing);
      if (generation !== this.generation) return;
      this.rows = this.rows.concat(page.entries);
      this.done = page.done;
    } catch (e) {
      if (generation !== this.generation) return;
      this.done = true;
      if (this.search) this.searchFailed = asFerryError(e).message;
      messages.fail(e);
    } finally {
      // Cleared before the page's waiters run, so a view asking then starts the next page.
      if (this.pending?.generation === generation) this.pending = null;
      if (generation === this.generation) this.loadingMore = false;
    }
  }
  loadingMore = $state(false);
  /** Why a search stopped before its end (its results are then only part of the answer). */
  searchFailed = $state<string | null>(null);

  /** Pages until `limit` rows (or the end), for as long as the rows shown are these. */
  private async drain(limit = Infinity): Promise<void> {
    const generation = this.generation;
    while (
      generation === this.generation &&
      !this.done &&
      this.listing !== null &&
      this.rows.length < limit
    ) {
      await this.more();
    }
  }

  nearEnd(lastVisibleIndex: number): void {
    if (lastVisibleIndex + PAGE_AHEAD >= this.visible.length) void this.more();
  }

  refresh(): Promise<void> {
    if (!this.workspaceId) return Promise.resolve();
    return this.search ? this.find(this.search.query) : this.open(this.workspaceId, this.path);
  }

  up(): void {
    if (!this.workspaceId || this.path === "") return;
    const trimmed = this.path.slice(0, -1);
    const cut = trimmed.lastIndexOf("/");
    void this.open(this.workspaceId, cut < 0 ? "" : trimmed.slice(0, cut + 1));
  }

  activate(row: Row): void {
    if (row.is_folder && this.workspaceId) void this.open(this.workspaceId, row.path);
    else this.dialog = { kind: "preview", path: row.path };
  }

  click(index: number, mods: { shift: boolean; ctrl: boolean }): void {
    this.selection = clickRow(this.selection, this.visible, index, mods);
  }

  selectAll(): void {
    this.selection = selectAll(this.visible);
  }

  /** Sorts every row of the folder, not only those loaded: the rest are listed first. */
  setSort(key: Sort["key"]): void {
    this.sort =
      this.sort.key === key
        ? { key, ascending: !this.sort.ascending }
        : { key, ascending: key === "name" || key === "type" };
    // Every row still to come first: a sort orders all of them (the count grows meanwhile).
    // A search's results are sorted as gathered: listing all of a bucket's matches could
    // fill the window's memory.
    void this.drain(this.search ? SEARCH_AHEAD : Infinity);
  }

  /**
   * Where an s3:// link led: the folder, or the object selected in its folder (a folder named
   * without its slash is opened). False when the folder holds no such object.
   */
  async openLink(workspace: string, path: string): Promise<boolean> {
    if (path === "" || path.endsWith("/")) {
      await this.open(workspace, path);
      return true;
    }
    await this.open(workspace, path.slice(0, path.lastIndexOf("/") + 1));
    const found = await this.seek([path, `${path}/`]);
    if (found?.endsWith("/")) await this.open(workspace, found);
    else if (found) this.selection = selectOnly(found);
    return found !== null;
  }

  /** Reads on through the folder shown until one of `paths` is a row; which, if any. */
  private async seek(paths: string[]): Promise<string | null> {
    const generation = this.generation;
    const hit = () => this.rows.find((r) => paths.includes(r.path))?.path ?? null;
    while (generation === this.generation && !this.done && this.listing !== null && !hit()) {
      await this.more();
    }
    return generation === this.generation ? hit() : null;
  }

  /** Shows the folder a search result is in, with the result selected. */
  async reveal(path: string): Promise<void> {
    if (!this.workspaceId) return;
    const trimmed = path.endsWith("/") ? path.slice(0, -1) : path;
    await this.open(this.workspaceId, trimmed.slice(0, trimmed.lastIndexOf("/") + 1));
    if ((await this.seek([path])) !== null) this.selection = selectOnly(path);
  }

  private updateTitle(): void {
    const ws = this.settings?.workspaces.find((w) => w.form.id === this.workspaceId);
    const title = ws ? `${ws.form.name} — /${this.path} — Ferry` : "Ferry";
    document.title = title;
    void api.windowTitle(title).catch(() => {});
  }

  // ---- changing things ------------------------------------------------------------------

  async createFolder(name: string): Promise<boolean> {
    if (!this.workspaceId) return false;
    try {
      await api.folderCreate(this.workspaceId, this.path + name.trim() + "/");
      await this.refresh();
      return true;
    } catch (e) {
      messages.fail(e);
      return false;
    }
  }

  async remove(paths: string[]): Promise<void> {
    if (!this.workspaceId) return;
    try {
      const report = await api.deletePaths(this.workspaceId, paths);
      if (report.failed.length > 0) {
        const first = report.failed[0];
        messages.toast(
          "error",
          `${report.failed.length} item(s) could not be deleted: ${first?.item}: ${first?.message}`,
        );
      } else {
        messages.info(`Deleted ${report.deleted} item${report.deleted === 1 ? "" : "s"}`);
      }
    } catch (e) {
      messages.fail(e);
    }
    await this.refresh();
  }

  async rename(path: string, newName: string): Promise<boolean> {
    if (!this.workspaceId) return false;
    try {
      await api.rename(this.workspaceId, path, newName);
      return true;
    } catch (e) {
      messages.fail(e);
      return false;
    }
  }
}

export const app = new App();
