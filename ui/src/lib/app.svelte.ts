// The app's state and the actions the UI offers. Components render it and call these actions;
// only this module and ../ipc know about commands.

import {
  api,
  FerryError,
  type ConflictPolicy,
  type ErrorReport_Serialize,
  type JobView,
  type Place,
  type SettingsView,
  type Shift,
  type TransferKind,
  type TransferRequest,
  type WorkspaceView,
} from "../ipc";
import {
  baseName,
  clickRow,
  emptySelection,
  filterRows,
  selectAll,
  sortRows,
  type Row,
  type Selection,
  type Sort,
} from "./listing";
import { advice } from "./remedy";

export interface Toast {
  id: number;
  kind: "error" | "info";
  message: string;
  hint?: string;
}

export type Dialog =
  | { kind: "settings"; workspace?: string }
  | { kind: "delete"; paths: string[] }
  | { kind: "rename"; path: string }
  | { kind: "new-folder" }
  | { kind: "link"; path: string }
  | { kind: "properties"; path: string }
  | { kind: "conflict"; names: string[]; request: TransferRequest }
  | { kind: "target"; mode: TransferKind; paths: string[] };

/** Rows kept in memory while scrolling; pages arrive as the list nears its end. */
const PAGE_AHEAD = 200;

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
  selection = $state<Selection>(emptySelection());
  jobs = $state<Record<string, JobView>>({});
  toasts = $state<Toast[]>([]);
  dialog = $state<Dialog | null>(null);
  dropTarget = $state<string | null>(null);
  /** Copied with Ctrl+C, pasted with Ctrl+V (possibly into another workspace). */
  clipboard = $state<{ workspace: string; paths: string[] } | null>(null);
  connection = $state<Record<string, "ok" | "error" | "unknown">>({});

  private listing: number | null = null;
  private generation = 0;
  private toastId = 0;

  visible = $derived(sortRows(filterRows(this.rows, this.filter), this.sort));
  workspace = $derived<WorkspaceView | null>(
    this.settings?.workspaces.find((w) => w.form.id === this.workspaceId) ?? null,
  );
  /** What actions act on: selected rows the filter still shows (hidden ones are not touched). */
  selectedRows = $derived(this.visible.filter((r) => this.selection.paths.has(r.path)));
  selectedPaths = $derived(this.selectedRows.map((r) => r.path));
  jobList = $derived(Object.values(this.jobs).sort((a, b) => b.created.localeCompare(a.created)));

  async start(): Promise<void> {
    await this.loadSettings();
    await this.openDefault();
    await this.watchJobs();
    void api.onSettingsChanged(async () => {
      await this.loadSettings();
      // A file that was broken at start-up and is fixed now: catch up on what was skipped.
      if (!this.workspaceId) await this.openDefault();
      if (!this.watchingJobs) await this.watchJobs();
    });
  }

  private watchingJobs = false;

  private async openDefault(): Promise<void> {
    if (!this.settings || this.settings.problem) return;
    const first = this.settings.default_workspace ?? this.settings.workspaces[0]?.form.id ?? null;
    if (first) await this.open(first, "");
  }

  /** Subscribes the transfer panel; needs usable settings (the banner explains when not). */
  private async watchJobs(): Promise<void> {
    if (!this.settings || this.settings.problem) return;
    try {
      const jobs = await api.jobsWatch((job) => this.onJob(job));
      this.watchingJobs = true;
      for (const job of jobs) this.jobs[job.id] = job;
      const interrupted = jobs.filter((j) => j.status === "interrupted").length;
      if (interrupted > 0) {
        this.info(
          `${interrupted} transfer${interrupted === 1 ? " was" : "s were"} interrupted`,
          "Resume them in the transfer panel.",
        );
      }
    } catch (e) {
      this.fail(e);
    }
  }

  async loadSettings(): Promise<void> {
    try {
      this.settings = await api.settingsGet();
      if (
        this.workspaceId &&
        !this.settings.workspaces.some((w) => w.form.id === this.workspaceId)
      ) {
        this.workspaceId = null;
        this.rows = [];
      }
    } catch (e) {
      this.fail(e);
    }
  }

  // ---- browsing -------------------------------------------------------------------------

  async open(workspace: string, path: string): Promise<void> {
    const generation = ++this.generation;
    if (this.listing !== null) void api.listClose(this.listing).catch(() => {});
    this.listing = null;
    this.workspaceId = workspace;
    this.path = path;
    this.rows = [];
    this.selection = emptySelection();
    this.filter = "";
    this.listError = null;
    this.loading = true;
    this.done = false;
    this.updateTitle();
    try {
      const page = await api.listOpen(workspace, path);
      if (generation !== this.generation) return;
      this.listing = page.listing;
      this.rows = page.entries;
      this.done = page.done;
      this.connection[workspace] = "ok";
      if (!page.done && page.entries.length === 0) await this.more();
    } catch (e) {
      if (generation !== this.generation) return;
      this.listError = e instanceof FerryError ? e : new FerryError(unknownError(e));
      this.done = true;
      if (this.listError.code !== "not_found") this.connection[workspace] = "error";
    } finally {
      if (generation === this.generation) this.loading = false;
    }
  }

  /** The next page, when the list scrolls near the rows loaded so far. */
  async more(): Promise<void> {
    if (this.done || this.listing === null || this.loadingMore) return;
    const generation = this.generation;
    this.loadingMore = true;
    try {
      const page = await api.listMore(this.listing);
      if (generation !== this.generation) return;
      this.rows = this.rows.concat(page.entries);
      this.done = page.done;
    } catch (e) {
      this.done = true;
      this.fail(e);
    } finally {
      this.loadingMore = false;
    }
  }
  loadingMore = $state(false);

  nearEnd(lastVisibleIndex: number): void {
    if (lastVisibleIndex + PAGE_AHEAD >= this.visible.length) void this.more();
  }

  refresh(): Promise<void> {
    return this.workspaceId ? this.open(this.workspaceId, this.path) : Promise.resolve();
  }

  up(): void {
    if (!this.workspaceId || this.path === "") return;
    const trimmed = this.path.slice(0, -1);
    const cut = trimmed.lastIndexOf("/");
    void this.open(this.workspaceId, cut < 0 ? "" : trimmed.slice(0, cut + 1));
  }

  activate(row: Row): void {
    if (row.is_folder && this.workspaceId) void this.open(this.workspaceId, row.path);
    else this.dialog = { kind: "properties", path: row.path };
  }

  click(index: number, mods: { shift: boolean; ctrl: boolean }): void {
    this.selection = clickRow(this.selection, this.visible, index, mods);
  }

  selectAll(): void {
    this.selection = selectAll(this.visible);
  }

  setSort(key: Sort["key"]): void {
    this.sort =
      this.sort.key === key
        ? { key, ascending: !this.sort.ascending }
        : { key, ascending: key === "name" || key === "type" };
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
      this.fail(e);
      return false;
    }
  }

  async remove(paths: string[]): Promise<void> {
    if (!this.workspaceId) return;
    try {
      const report = await api.deletePaths(this.workspaceId, paths);
      if (report.failed.length > 0) {
        const first = report.failed[0];
        this.toast(
          "error",
          `${report.failed.length} item(s) could not be deleted: ${first?.item}: ${first?.message}`,
        );
      } else {
        this.info(`Deleted ${report.deleted} item${report.deleted === 1 ? "" : "s"}`);
      }
    } catch (e) {
      this.fail(e);
    }
    await this.refresh();
  }

  async rename(path: string, newName: string): Promise<boolean> {
    if (!this.workspaceId) return false;
    try {
      await api.rename(this.workspaceId, path, newName);
      return true;
    } catch (e) {
      this.fail(e);
      return false;
    }
  }

  // ---- transfers ------------------------------------------------------------------------

  /** Uploads local paths (from a drop or a picker) into a folder of the current workspace. */
  upload(paths: string[], folder: string = this.path): Promise<void> {
    if (!this.workspaceId || paths.length === 0) return Promise.resolve();
    return this.transfer({
      kind: "copy",
      sources: paths.map((p) => ({ workspace: null, path: p })),
      destination: { workspace: this.workspaceId, path: folder },
      conflict: null,
    });
  }

  async uploadPicked(kind: "files" | "folder"): Promise<void> {
    try {
      const paths = await api.pick(kind);
      await this.upload(paths);
    } catch (e) {
      this.fail(e);
    }
  }

  async downloadSelected(): Promise<void> {
    const ws = this.workspaceId;
    const paths = this.selectedRows.map((r) => r.path);
    if (!ws || paths.length === 0) return;
    try {
      const [dir] = await api.pick("destination");
      if (!dir) return;
      await this.transfer({
        kind: "copy",
        sources: paths.map((path) => ({ workspace: ws, path })),
        destination: { workspace: null, path: dir },
        conflict: null,
      });
    } catch (e) {
      this.fail(e);
    }
  }

  /** Copies or moves `paths` of the current workspace to a folder of another (or this) one. */
  sendTo(mode: TransferKind, paths: string[], destination: Place): Promise<void> {
    const ws = this.workspaceId;
    if (!ws) return Promise.resolve();
    return this.transfer({
      kind: mode,
      sources: paths.map((path) => ({ workspace: ws, path })),
      destination,
      conflict: null,
    });
  }

  copyToClipboard(): void {
    if (!this.workspaceId || this.selectedPaths.length === 0) return;
    this.clipboard = { workspace: this.workspaceId, paths: [...this.selectedPaths] };
    this.info(`Copied ${this.clipboard.paths.length} item(s); paste with Ctrl+V in any folder`);
  }

  paste(): Promise<void> {
    const clip = this.clipboard;
    if (!clip || !this.workspaceId) return Promise.resolve();
    return this.transfer({
      kind: "copy",
      sources: clip.paths.map((path) => ({ workspace: clip.workspace, path })),
      destination: { workspace: this.workspaceId, path: this.path },
      conflict: null,
    });
  }

  /** Asks about existing names first when the conflict policy is "ask". */
  async transfer(request: TransferRequest): Promise<void> {
    try {
      if (request.conflict === null && this.settings?.transfer.conflict === "ask") {
        const names = await api.transferConflicts(request);
        if (names.length > 0) {
          this.dialog = { kind: "conflict", names, request };
          return;
        }
      }
      const ids = await api.transferStart(request);
      const what =
        request.sources.length === 1
          ? baseName(request.sources[0]?.path ?? "")
          : `${request.sources.length} items`;
      this.info(
        `Started: ${what}`,
        ids.length > 1 ? `${ids.length} jobs in the transfer panel` : undefined,
      );
    } catch (e) {
      this.fail(e);
    }
  }

  resolveConflict(choice: ConflictPolicy | null): void {
    const d = this.dialog;
    this.dialog = null;
    if (d?.kind !== "conflict" || choice === null) return;
    void this.transfer({ ...d.request, conflict: choice });
  }

  private onJob(job: JobView): void {
    const before = this.jobs[job.id];
    this.jobs[job.id] = job;
    const finished = !["running", "paused", "queued"].includes(job.status);
    const wasLive = !before || ["running", "paused", "queued"].includes(before.status);
    if (finished && wasLive && this.workspaceId && job.touches.includes(this.workspaceId)) {
      void this.refresh();
    }
    if (finished && wasLive && job.status === "failed" && job.error) {
      this.toast("error", `${job.title} failed: ${job.error.message}`, advice(job.error));
    }
  }

  async jobAction(
    action: "pause" | "resume" | "cancel" | "retry" | Shift,
    id: string,
  ): Promise<void> {
    try {
      if (action === "pause") await api.jobPause(id);
      else if (action === "resume") await api.jobResume(id);
      else if (action === "cancel") await api.jobCancel(id);
      else if (action === "retry") await api.jobRetry(id);
      else await api.jobShift(id, action);
    } catch (e) {
      this.fail(e);
    }
  }

  /** Pauses (or resumes) every job running in this app. */
  async pauseAll(paused: boolean): Promise<void> {
    try {
      await api.jobsPauseAll(paused);
    } catch (e) {
      this.fail(e);
    }
  }

  clearFinished(): void {
    for (const job of Object.values(this.jobs)) {
      // A job whose uploads the server would not abort waits for a decision, as a failed one.
      if (["completed", "cancelled"].includes(job.status) && job.kept_uploads === 0)
        delete this.jobs[job.id];
    }
  }

  // ---- messages -------------------------------------------------------------------------

  toast(kind: Toast["kind"], message: string, hint?: string): void {
    const id = ++this.toastId;
    this.toasts.push({ id, kind, message, hint });
    if (kind === "info") setTimeout(() => this.dismiss(id), 4000);
  }

  info(message: string, hint?: string): void {
    this.toast("info", message, hint);
  }

  fail(e: unknown): void {
    const err = e instanceof FerryError ? e : new FerryError(unknownError(e));
    this.toast("error", err.message, err.advice);
  }

  dismiss(id: number): void {
    this.toasts = this.toasts.filter((t) => t.id !== id);
  }
}

/** Any failure as a FerryError, so every one is shown with a message. */
export function asFerryError(e: unknown): FerryError {
  return e instanceof FerryError ? e : new FerryError(unknownError(e));
}

function unknownError(e: unknown): ErrorReport_Serialize {
  return {
    code: "failed",
    message: e instanceof Error ? e.message : String(e),
    hint: "",
    remedy: null,
  };
}

export const app = new App();
