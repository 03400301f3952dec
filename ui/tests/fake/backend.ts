// An in-memory Ferry behind mocked Tauri IPC, for UI tests in a plain browser. It answers the
// same commands as src-tauri with the same shapes (typed by the generated bindings), and logs
// every call and answer so tests can assert on what crossed IPC.

import { mockConvertFileSrc, mockIPC, mockWindows } from "@tauri-apps/api/mocks";
import { emit } from "@tauri-apps/api/event";
import type {
  commands,
  ConflictPolicy,
  ConnectionReport_Serialize,
  EntryView,
  FieldProblem,
  FindQuery_Deserialize,
  JobView,
  Provider,
  Remedy,
  SecretInput,
  Shift,
  TransferPrefs_Serialize,
  ObjectVersion_Serialize,
  PreviewView,
  Versioning,
  ArchiveState_Serialize,
  SettingsView,
  TransferRequest,
  WorkspaceForm,
  WorkspaceView,
  StorageMoveView,
  UpdateStatus,
  OpenRequest,
} from "../../src/ipc/bindings";
import { baseName } from "../../src/lib/listing";
import { blankForm } from "../../src/lib/workspace-form";
import { FakeSync } from "./sync";

interface Channel {
  onmessage: (v: unknown) => void;
}

/** What a test sets up before the app loads (`window.fakeSeed`, e.g. from addInitScript). */
export interface FakeSeed {
  /** The local workspace was imported from this media-planning settings file. */
  mediaPlan?: string;
  /** settings.json is malformed: settings_get reports this, engine commands fail. */
  problem?: SettingsView["problem"];
  conflict?: ConflictPolicy;
  holdJobs?: boolean;
  /** What the update feed answers (default: no feed). */
  update?: UpdateStatus;
  /** What other apps handed Ferry before it started. */
  opened?: OpenRequest[];
  /** Extra entries: [workspace, key, size]. */
  files?: [string, string, number][];
  /** Symbolic links in a local workspace: [workspace, key, target]. */
  links?: [string, string, string][];
  /** `count` files in one folder, generated here rather than sent over the wire. */
  fill?: { workspace: string; folder: string; count: number };
  /** Objects stored in GLACIER (after `files`): [workspace, key]. */
  archived?: [string, string][];
  /** Buckets' versioning, by workspace, set before `files` are written. */
  versioning?: Record<string, Versioning>;
  /** Jobs the journal already holds (e.g. `interrupted` ones from a previous run). */
  jobs?: (Partial<JobView> & { id: string })[];
}

/** `jobShift` → `job_shift`: a generated command's name as it crosses IPC. */
type Snake<S extends string> = S extends `${infer H}${infer T}`
  ? `${H extends Lowercase<H> ? H : `_${Lowercase<H>}`}${Snake<T>}`
  : S;
/** Every command the app can invoke, from the generated bindings. */
type Command = Snake<keyof typeof commands & string>;

/** The engine's page: S3's max-keys and the local store's default are both 1,000. */
const PAGE = 1000;

/** Every job finishes after this long unless `holdJobs` is set. */
const JOB_MS = 150;

const LIVE = ["queued", "running", "paused"];

/** Commands that work without a usable settings.json (everything else needs the engine). */
const WITHOUT_ENGINE = new Set([
  "app_info",
  "opened_take",
  "window_open",
  "pick",
  "clipboard_write",
  "settings_open_file",
  "window_title",
  "settings_get",
  "list_more",
  "list_close",
  "job_pause",
  "jobs_pause_all",
]);

function form(partial: Partial<WorkspaceForm>): WorkspaceForm {
  return { ...blankForm(partial.kind ?? "s3"), region: "", ...partial };
}

function parentOf(key: string): string {
  return key.replace(/[^/]+\/?$/, "");
}

/** convert::provider_of: the provider is read back from the endpoint, never stored. */
function providerOf(f: WorkspaceForm): Provider {
  if (f.kind === "local") return "local";
  if (!f.endpoint_url.trim()) return "aws";
  const rest = f.endpoint_url.split("://").pop() ?? "";
  const host = (rest.split(/[/?]/)[0] ?? "").replace(/:\d+$/, "");
  const ends = (s: string) => host === s || host.endsWith(`.${s}`);
  if (ends("amazonaws.com")) return "aws";
  if (ends("digitaloceanspaces.com")) return "digitalocean";
  if (ends("r2.cloudflarestorage.com")) return "r2";
  if (ends("wasabisys.com")) return "wasabi";
  if (ends("backblazeb2.com")) return "b2";
  if (host.includes("minio")) return "minio";
  return "custom";
}

/** convert::describe. */
function describe(f: WorkspaceForm): string {
  if (f.kind === "local") return f.base_path;
  const at = f.endpoint_url || `AWS ${f.region || "us-east-1"}`;
  return `s3://${f.bucket}/${f.prefix} at ${at}`;
}

/** settings::validate::check_bucket. */
function bucketProblem(bucket: string): string | null {
  const ok =
    /^[a-z0-9.-]{3,63}$/.test(bucket) &&
    /^[a-z0-9].*[a-z0-9]$/.test(bucket) &&
    !/\.\./.test(bucket);
  return ok
    ? null
    : `${JSON.stringify(bucket)} is not a valid bucket name (lowercase letters, digits, dots, hyphens; 3–63 chars)`;
}

/** settings::validate::check_endpoint, roughly. */
function endpointProblem(endpoint: string, field: string): string | null {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return `${JSON.stringify(endpoint)} is not a valid URL; write it like https://s3.example.com`;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    return `${field} must start with https:// (or http:// for a local server), not ${url.protocol}//`;
  if (url.username || url.password)
    return `${field} must not contain credentials; store them with \`ferry secret set\` instead`;
  return null;
}

export class Fake {
  calls: { cmd: string; args: unknown; result?: unknown; error?: unknown }[] = [];
  /** Rows dragged out of the window. */
  draggedOut: { workspace: string; paths: string[] }[] = [];
  /** Ends the drag under way: dropped somewhere, or given up. */
  endDrag: (end: "dropped" | "cancelled" | "not_ready") => void = () => {};
  /** Media-planning storage moves started: [plan id, into]. */
  storageMoves: [string, string | null][] = [];
  /** The last storage move shown: its id and target. */
  storageMoveShown: { id: string; into: string | null } | null = null;
  /** Windows asked for (Ctrl+N, Open in new window). */
  windows: { workspace: string | null; path: string | null }[] = [];
  /** Files opened in other apps. */
  opened: { workspace: string; path: string; edit: boolean }[] = [];
  /** Answering an edit conflict fails (the upload it makes could not be sent). */
  failResolve = false;
  /** Answers to edit conflicts. */
  resolved: { edit: number; choice: string }[] = [];
  /** Media previews the UI said it no longer plays. */
  previewsClosed: string[] = [];
  workspaces: WorkspaceView[] = [
    {
      form: form({ id: "local", name: "Local", kind: "local", base_path: "/home/me/Ferry" }),
      provider: "local",
      description: "/home/me/Ferry",
      is_default: true,
      secret_set: false,
      media_plan: null,
    },
    {
      form: form({
        id: "demo-s3",
        name: "Demo S3",
        bucket: "demo",
        region: "us-east-1",
        endpoint_url: "http://127.0.0.1:9000",
        path_style: true,
      }),
      provider: "custom",
      description: "s3://demo/ at http://127.0.0.1:9000",
      is_default: false,
      secret_set: true,
      media_plan: null,
    },
  ];
  /** Workspace id → key → entry (folders end with "/"). */
  files = new Map<string, Map<string, EntryView>>();
  /** Sync plans, saved pairs and prices. */
  sync = new FakeSync(this);
  /** The keychain. Nothing here is ever sent back over IPC. */
  secrets = new Map<string, SecretInput>();
  conflict: SettingsView["transfer"]["conflict"] = "ask";
  followLinks = false;
  unpackGz = false;
  problem: SettingsView["problem"] = null;
  jobs = new Map<string, JobView>();
  channel: Channel | null = null;
  listings = new Map<number, EntryView[]>();
  sizes = new Map<number, EntryView[]>();
  nextListing = 1;
  nextJob = 1;
  /** The runner's queue: ids of the jobs running, first first. */
  order: string[] = [];
  /** When set, jobs stay running until `finish` is called. */
  holdJobs = false;
  /** How many more cancels the server refuses to abort kept uploads for. */
  refusedAborts = 0;
  /** What a job does to the files when it completes. */
  private effects = new Map<string, () => void>();
  private timers = new Map<string, ReturnType<typeof setTimeout>>();

  constructor() {
    this.put("local", "notes.txt", 1200);
    this.put("local", "photos/", 0);
    this.put("local", "photos/cat.jpg", 245_000);
    this.put("local", "photos/dog.jpg", 310_000);
    this.put("local", "report.pdf", 2_400_000);
    this.put("local", "archive.zip", 52_000_000);
    this.put("demo-s3", "readme.md", 512);
    this.secrets.set("demo-s3", { access_key_id: "FERRYDEMOKEY", secret_access_key: "demo" });
  }

  seed(s: FakeSeed): void {
    if (s.problem !== undefined) this.problem = s.problem;
    if (s.mediaPlan) this.workspaces[0]!.media_plan = s.mediaPlan;
    if (s.conflict) this.conflict = s.conflict;
    if (s.holdJobs !== undefined) this.holdJobs = s.holdJobs;
    if (s.update) this.update = s.update;
    if (s.opened) this.openRequests = s.opened;
    for (const [ws, state] of Object.entries(s.versioning ?? {})) this.versioning.set(ws, state);
    for (const [ws, key, size] of s.files ?? []) this.put(ws, key, size);
    for (const [ws, key, target] of s.links ?? []) {
      this.put(ws, key, 0);
      this.files.get(ws)!.get(key)!.link_target = target;
    }
    if (s.fill) this.fill(s.fill.workspace, s.fill.folder, s.fill.count);
    for (const [ws, key] of s.archived ?? [])
      this.files.get(ws)!.get(key)!.storage_class = "GLACIER";
    for (const j of s.jobs ?? []) this.jobs.set(j.id, this.jobView(j));
  }

  put(ws: string, key: string, size: number, modified = "2026-11-01T10:00:00Z"): void {
    if (!this.files.has(ws)) this.files.set(ws, new Map());
    if (this.versioning.get(ws) === "enabled" && !key.endsWith("/")) this.addVersion(ws, key, size);
    this.files.get(ws)!.set(key, {
      name: baseName(key),
      path: key,
      is_folder: key.endsWith("/"),
      size,
      modified: key.endsWith("/") ? null : modified,
      storage_class: ws === "local" || key.endsWith("/") ? null : "STANDARD",
      link_target: null,
    });
  }

  /** Buckets' versioning, by workspace (unset: never turned on). */
  versioning = new Map<string, Versioning>();
  /** Versions and delete markers by `workspace:key`, newest first. */
  versions = new Map<string, ObjectVersion_Serialize[]>();
  private nextVersion = 1;

  versionsOf(ws: string, key: string): ObjectVersion_Serialize[] {
    const id = `${ws}:${key}`;
    if (!this.versions.has(id)) this.versions.set(id, []);
    return this.versions.get(id)!;
  }

  /** A new latest version (or delete marker) of `key`. */
  addVersion(ws: string, key: string, size: number, marker = false): void {
    const list = this.versionsOf(ws, key);
    for (const v of list) v.is_latest = false;
    const t = new Date(Date.UTC(2026, 10, 1, 10, 0, this.nextVersion)).toISOString();
    list.unshift({
      key,
      version_id: `v${this.nextVersion++}`,
      is_latest: true,
      delete_marker: marker,
      size: marker ? 0 : size,
      last_modified: t,
      etag: marker ? null : `etag-${size}`,
      storage_class: marker ? null : "STANDARD",
    });
  }

  /** After a version goes: the newest left is the latest, and the file is what it says. */
  settle(ws: string, key: string): void {
    const list = this.versionsOf(ws, key);
    list.forEach((v, i) => (v.is_latest = i === 0));
    const top = list[0];
    const files = this.files.get(ws)!;
    if (!top || top.delete_marker) files.delete(key);
    else {
      const saved = this.versioning.get(ws);
      this.versioning.set(ws, "suspended");
      this.put(ws, key, top.size);
      if (saved) this.versioning.set(ws, saved);
    }
  }

  /** Object tags by `workspace:key`. */
  tags = new Map<string, Record<string, string>>();
  /** Restores asked for, by `workspace:key`: the server is still restoring them. */
  restoring = new Set<string>();

  archiveState(ws: string, key: string): ArchiveState_Serialize {
    const cls = this.files.get(ws)?.get(key)?.storage_class ?? "";
    if (cls !== "GLACIER" && cls !== "DEEP_ARCHIVE") return { state: "readable" };
    if (this.restoring.has(`${ws}:${key}`)) return { state: "restoring", class: cls };
    return { state: "archived", class: cls };
  }

  /** Versions exist only in S3 workspaces, on servers that keep them. */
  versioned(ws: string): void {
    if (this.workspaces.find((w) => w.form.id === ws)?.form.kind !== "s3")
      this.invalid(
        `workspace ${JSON.stringify(ws)} is a local folder; versions exist only in S3 workspaces`,
      );
  }

  /** `count` files named item-000000.dat… in `folder` (which ends with "/"). */
  fill(ws: string, folder: string, count: number): void {
    const width = String(count - 1).length;
    for (let i = 0; i < count; i++) {
      this.put(ws, `${folder}item-${String(i).padStart(width, "0")}.dat`, 1000 + i);
    }
  }

  /** Whether `key` is there: a file, or a folder with a marker or anything in it. */
  exists(ws: string, key: string): boolean {
    const files = this.files.get(ws);
    if (!files) return false;
    if (files.has(key)) return true;
    if (!key.endsWith("/")) return false;
    for (const k of files.keys()) if (k.startsWith(key)) return true;
    return false;
  }

  children(ws: string, folder: string): EntryView[] {
    const out = new Map<string, EntryView>();
    for (const [key, e] of this.files.get(ws) ?? []) {
      if (!key.startsWith(folder) || key === folder) continue;
      const rest = key.slice(folder.length);
      const slash = rest.indexOf("/");
      if (slash >= 0 && slash < rest.length - 1) {
        const sub = folder + rest.slice(0, slash + 1);
        out.set(sub, {
          name: rest.slice(0, slash),
          path: sub,
          is_folder: true,
          size: 0,
          modified: null,
          storage_class: null,
          link_target: null,
        });
      } else out.set(key, e);
    }
    // S3 lists in byte order of the keys (and the local store imitates it).
    return [...out.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /** What a search below `folder` finds, as the engine's find: files only, every filter held. */
  found(ws: string, folder: string, q: FindQuery_Deserialize): EntryView[] {
    const name = q.name?.trim() ?? "";
    const glob = /[*?]/.test(name)
      ? new RegExp(
          "^" +
            name
              .replace(/[.+^$()|\\]/g, "\\$&")
              .replace(/\*\*\//g, "\u{1F320}")
              .replace(/\*\*/g, "\u{1F31F}")
              .replace(/\*/g, "[^/]*")
              .replace(/\?/g, "[^/]")
              .replaceAll("\u{1F31F}", ".*")
              // `**/` is any number of folders, none included, as globset reads it.
              .replaceAll("\u{1F320}", "(?:.*/)?") +
            "$",
          "i",
        )
      : null;
    const out: EntryView[] = [];
    for (const [key, e] of this.files.get(ws) ?? []) {
      if (!key.startsWith(folder) || e.is_folder) continue;
      const below = key.slice(folder.length);
      const named = glob
        ? glob.test(name.includes("/") ? below : e.name)
        : (name.includes("/") ? below : e.name).toLowerCase().includes(name.toLowerCase());
      const larger = q.larger_than == null || e.size > q.larger_than;
      const newer = q.newer_than == null || (e.modified ?? "") > q.newer_than;
      const cls = q.storage_class == null || (e.storage_class ?? "STANDARD") === q.storage_class;
      if (named && larger && newer && cls) out.push(e);
    }
    return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  settings(): SettingsView {
    return {
      path: "/home/me/.config/ferry/settings.json",
      workspaces: this.problem ? [] : structuredClone(this.workspaces),
      default_workspace: this.problem ? null : "local",
      transfer: {
        concurrency: 64,
        part_concurrency: 4,
        part_size_mib: 8,
        multipart_threshold_mib: 16,
        memory_budget_mib: 64,
        silence_timeout_secs: 60,
        bandwidth_limit: { up: 0, down: 0 },
        conflict: this.conflict,
        follow_links: this.followLinks,
        unpack_gz: this.unpackGz,
      },
      problem: this.problem,
      warnings: [],
    };
  }

  ok<T>(data: T) {
    return { status: "ok", data };
  }
  err(code: string, message: string, hint = "", remedy: Remedy | null = null): never {
    // tauri-specta turns a rejected invoke into { status: "error", error }.
    throw { code, message, hint, remedy };
  }
  invalid(message: string): never {
    return this.err("config", message, "Correct the value and try again.");
  }

  /** The engine's checks of a form (convert::workspace_of + settings::check_workspace). */
  check(f: WorkspaceForm): FieldProblem[] {
    const problems: FieldProblem[] = [];
    const push = (field: string, message: string | null) => {
      if (message) problems.push({ field, message, warning: false });
    };
    if (f.kind === "local") {
      if (!f.base_path.trim()) push("storage.base_path", "choose a folder");
      return problems;
    }
    push("storage.bucket", bucketProblem(f.bucket.trim()));
    if (f.region.trim() && !/^[A-Za-z0-9_-]{1,64}$/.test(f.region.trim()))
      push(
        "storage.region",
        `${JSON.stringify(f.region.trim())} is not a valid region (such as us-east-1, eu-central-1, auto)`,
      );
    if (f.endpoint_url.trim())
      push("storage.endpoint_url", endpointProblem(f.endpoint_url.trim(), "endpoint_url"));
    const name = f.name.trim().toLowerCase();
    if (
      name &&
      this.workspaces.some((w) => w.form.id !== f.id && w.form.name.toLowerCase() === name)
    )
      push("name", `a workspace called ${JSON.stringify(f.name.trim())} already exists`);
    return problems;
  }

  /** lib.rs unique_id: a new workspace's id from its name. */
  uniqueId(name: string): string {
    let base = name
      .toLowerCase()
      .replace(/[^a-z0-9]/g, "-")
      .replace(/^-+|-+$/g, "")
      .replace(/-{2,}/g, "-");
    if (!base) base = "workspace";
    base = base.slice(0, 48);
    let id = base;
    for (let n = 2; this.workspaces.some((w) => w.form.id === id); n++) id = `${base}-${n}`;
    return id;
  }

  /** commands::settings::secret_of. */
  secretOf(input: unknown): SecretInput | null {
    if (!input) return null;
    const s = input as SecretInput;
    if (!s.access_key_id.trim() || !s.secret_access_key)
      this.invalid("enter both the access key id and the secret access key");
    return { access_key_id: s.access_key_id.trim(), secret_access_key: s.secret_access_key };
  }

  jobView(partial: Partial<JobView> & { id: string }): JobView {
    return {
      kind: "copy",
      title: "Upload file",
      source: "/home/me/file",
      destination: "local:file",
      status: "queued",
      position: null,
      files_done: 0,
      files_total: 1,
      files_failed: 0,
      files_skipped: 0,
      counting: false,
      bytes_done: 0,
      bytes_skipped: 0,
      bytes_total: 1_000_000,
      speed: 0,
      eta_seconds: null,
      current: [],
      failures: [],
      skipped: [],
      error: null,
      created: new Date(Date.now() + this.nextJob).toISOString(),
      touches: [],
      kept_uploads: 0,
      note: null,
      notes: [],
      ...partial,
    };
  }

  /** Changes a job and sends it to the transfer panel, as the job runner does. */
  job(id: string, patch: Partial<JobView>): JobView {
    const next = { ...this.jobs.get(id)!, ...patch };
    if (!LIVE.includes(next.status)) this.order = this.order.filter((j) => j !== id);
    const at = this.order.indexOf(id);
    next.position = at < 0 ? null : at;
    this.jobs.set(id, next);
    this.channel?.onmessage(structuredClone(next));
    return next;
  }

  /** Sends every queued job again: their places changed. */
  requeue(): void {
    for (const id of this.order) this.job(id, {});
  }

  /** A job that is running now and, unless `holdJobs`, completes a moment later. */
  spawn(view: Omit<JobView, "id">, effect: () => void): string {
    const id = `job-${this.nextJob++}`;
    this.jobs.set(id, { ...view, id });
    this.order.push(id);
    this.effects.set(id, effect);
    this.job(id, {
      status: "running",
      bytes_done: view.bytes_total / 2,
      speed: 4_000_000,
      eta_seconds: 1,
    });
    this.schedule(id);
    return id;
  }

  schedule(id: string): void {
    clearTimeout(this.timers.get(id));
    if (!this.holdJobs)
      this.timers.set(
        id,
        setTimeout(() => this.finish(id), JOB_MS),
      );
  }

  /** Completes a job: its files appear (or move) and the panel hears about it. */
  finish(id: string): void {
    clearTimeout(this.timers.get(id));
    this.timers.delete(id);
    this.effects.get(id)?.();
    this.effects.delete(id);
    const j = this.jobs.get(id)!;
    this.job(id, {
      status: "completed",
      files_done: j.files_total - j.files_skipped,
      files_failed: 0,
      failures: [],
      bytes_done: j.bytes_total - j.bytes_skipped,
      current: [],
      speed: 0,
      eta_seconds: null,
    });
  }

  /** Copies (or moves) `key` of `from` to `to`, a folder and all in it when it is one. */
  copyKeys(from: string, key: string, to: string, target: string, move: boolean): void {
    const files = this.files.get(from) ?? new Map<string, EntryView>();
    for (const [k, e] of [...files]) {
      if (k !== key && !(key.endsWith("/") && k.startsWith(key))) continue;
      this.put(to, target + k.slice(key.length), e.size);
      if (move) files.delete(k);
    }
  }

  startTransfer(request: TransferRequest, source: { workspace?: string | null; path: string }) {
    const name = baseName(source.path);
    const folder = source.path.endsWith("/");
    const to = request.destination;
    const size = 1_000_000;
    const local = (ws?: string | null) => !ws;
    const verb =
      request.kind === "move"
        ? "Move"
        : local(source.workspace) && !local(to.workspace)
          ? "Upload"
          : !local(source.workspace) && local(to.workspace)
            ? "Download"
            : "Copy";
    const target = to.path + name + (folder ? "/" : "");
    return this.spawn(
      this.jobView({
        id: "",
        kind: request.kind,
        title: `${verb} ${name}${request.version ? ` (version ${request.version.slice(0, 12)}…)` : ""}`,
        source: source.workspace ? `${source.workspace}:${source.path}` : source.path,
        destination: to.workspace ? `${to.workspace}:${target}` : `${to.path}/${name}`,
        files_total: 1,
        bytes_total: size,
        current: [name],
        touches: [to.workspace, source.workspace].filter((w): w is string => !!w),
      }),
      () => {
        if (!to.workspace) return;
        if (source.workspace)
          this.copyKeys(
            source.workspace,
            source.path,
            to.workspace,
            target,
            request.kind === "move",
          );
        else this.put(to.workspace, target, folder ? 0 : size);
      },
    );
  }

  handle(cmd: string, a: Record<string, unknown>): unknown {
    if (this.problem && !WITHOUT_ENGINE.has(cmd)) {
      // AppState::engine(): every command that needs the engine names the settings problem.
      this.err("config", this.problem.message, this.problem.hint);
    }
    const command = cmd as Command;
    switch (command) {
      case "app_info":
        return this.ok({
          version: "0.1.0",
          settings_path: "/home/me/.config/ferry/settings.json",
          data_dir: "/home/me/.local/share/ferry",
        });
      case "window_title":
      case "clipboard_write":
      case "settings_open_file":
        return this.ok(null);
      case "pick":
        return this.ok(
          a.kind === "destination"
            ? ["/home/me/Downloads"]
            : a.kind === "files"
              ? ["/home/me/Desktop/picked.txt"]
              : ["/home/me/Documents"],
        );
      case "settings_get":
        return this.ok(this.settings());
      case "workspace_check": {
        const form = a.form as WorkspaceForm;
        const problems = this.check(form);
        return this.ok(problems.length > 0 ? problems : warningsOf(form));
      }
      case "workspace_save": {
        const secret = this.secretOf(a.secret);
        const f = structuredClone(a.form as WorkspaceForm);
        const problems = this.check(f);
        if (problems.length > 0)
          this.err(
            "config",
            `the workspace was not saved: ${problems.map((p) => `${p.field}: ${p.message}`).join("; ")}`,
            "Correct the fields marked in the form.",
          );
        if (!f.id) f.id = this.uniqueId(f.name);
        f.name = f.name.trim();
        if (secret) this.secrets.set(f.id, secret);
        const i = this.workspaces.findIndex((w) => w.form.id === f.id);
        const view: WorkspaceView = {
          form: f,
          provider: providerOf(f),
          description: describe(f),
          is_default: i >= 0 && !!this.workspaces[i]?.is_default,
          secret_set: f.kind === "s3" && this.secrets.has(f.id),
          media_plan: i >= 0 ? (this.workspaces[i]?.media_plan ?? null) : null,
        };
        if (i >= 0) this.workspaces[i] = view;
        else this.workspaces.push(view);
        return this.ok(view);
      }
      case "workspace_remove":
        this.workspaces = this.workspaces.filter((w) => w.form.id !== a.id);
        this.secrets.delete(a.id as string);
        return this.ok(null);
      case "workspace_set_default":
        for (const w of this.workspaces) w.is_default = w.form.id === a.id;
        return this.ok(null);
      case "secret_clear": {
        const had = this.secrets.delete(a.id as string);
        const ws = this.workspaces.find((w) => w.form.id === a.id);
        if (ws) ws.secret_set = false;
        return this.ok(had);
      }
      case "workspace_test": {
        this.secretOf(a.secret);
        const f = a.form as WorkspaceForm;
        const problems = this.check(f);
        if (problems.length > 0)
          this.err(
            "config",
            `the workspace was not saved: ${problems.map((p) => `${p.field}: ${p.message}`).join("; ")}`,
            "Correct the fields marked in the form.",
          );
        const ok = f.endpoint_url.includes("127.0.0.1") || f.kind === "local";
        const report: ConnectionReport_Serialize = {
          target: f.endpoint_url,
          checks: ok
            ? [
                { name: "connect", ok: true, message: "connected", kind: null, hint: null },
                { name: "list", ok: true, message: "listed", kind: null, hint: null },
                { name: "write", ok: true, message: "wrote a probe", kind: null, hint: null },
                {
                  name: "cleanup",
                  ok: true,
                  message: "removed the probe",
                  kind: null,
                  hint: null,
                },
              ]
            : [
                {
                  name: "connect",
                  ok: false,
                  message: "nothing answers at that address",
                  kind: "unreachable",
                  hint: "Check the endpoint.",
                },
              ],
        };
        return this.ok(report);
      }
      case "transfer_prefs_save":
        this.conflict = (a.prefs as TransferPrefs_Serialize).conflict;
        this.followLinks = (a.prefs as TransferPrefs_Serialize).follow_links;
        this.unpackGz = (a.prefs as TransferPrefs_Serialize).unpack_gz;
        return this.ok(null);
      case "list_open": {
        const all = this.children(a.workspace as string, a.path as string);
        const id = this.nextListing++;
        this.listings.set(id, all.slice(PAGE));
        return this.ok({ listing: id, entries: all.slice(0, PAGE), done: all.length <= PAGE });
      }
      case "list_more": {
        const rest = this.listings.get(a.listing as number);
        if (!rest) return this.invalid("that listing was closed; open the folder again");
        this.listings.set(a.listing as number, rest.slice(PAGE));
        return this.ok({
          listing: a.listing,
          entries: rest.slice(0, PAGE),
          done: rest.length <= PAGE,
        });
      }
      case "list_close":
        this.listings.delete(a.listing as number);
        return this.ok(null);
      case "search_open": {
        const all = this.found(
          a.workspace as string,
          a.path as string,
          a.query as FindQuery_Deserialize,
        );
        const id = this.nextListing++;
        this.listings.set(id, all.slice(PAGE));
        return this.ok({ listing: id, entries: all.slice(0, PAGE), done: all.length <= PAGE });
      }
      case "folder_size_open": {
        // Counted in two steps, as a real count reports progress page by page.
        const all = this.found(a.workspace as string, a.path as string, {});
        const half = all.slice(0, Math.ceil(all.length / 2));
        const id = this.nextListing++;
        this.sizes.set(id, all);
        return this.ok({
          count: id,
          usage: { objects: half.length, bytes: half.reduce((n, e) => n + e.size, 0) },
          done: false,
        });
      }
      case "folder_size_more": {
        const all = this.sizes.get(a.count as number);
        if (!all) return this.invalid("that count was stopped; start it again");
        const usage = { objects: all.length, bytes: all.reduce((n, e) => n + e.size, 0) };
        const so = a.soFar as { objects: number; bytes: number };
        const done = so.objects === usage.objects;
        if (done) this.sizes.delete(a.count as number);
        return this.ok({ count: a.count, usage, done });
      }
      case "folder_size_close":
        this.sizes.delete(a.count as number);
        return this.ok(null);
      case "properties": {
        const e = this.files.get(a.workspace as string)?.get(a.path as string);
        if (!e)
          return this.err("not_found", `${a.path as string} does not exist`, "Refresh the folder.");
        return this.ok({
          path: e.path,
          name: e.name,
          is_folder: e.is_folder,
          size: e.size,
          modified: e.modified,
          etag: '"0cc175b9c0f1b6a831c399e269772661"',
          md5: "0cc175b9c0f1b6a831c399e269772661",
          content_type: "text/plain",
          cache_control: null,
          storage_class: e.storage_class,
          sse: null,
          metadata: [],
          location: `${a.workspace as string}:${e.path}`,
          link_target: e.link_target,
        });
      }
      case "folder_create": {
        const ws = a.workspace as string;
        const path = a.path as string;
        const name = baseName(path);
        if (!name || name === "." || name === "..")
          return this.invalid(`${JSON.stringify(name)} cannot be a folder name`);
        const key = path.endsWith("/") ? path : `${path}/`;
        if (this.exists(ws, key))
          return this.err(
            "conflict",
            `a folder called ${JSON.stringify(name)} is already here`,
            "Choose another name.",
          );
        this.put(ws, key, 0);
        return this.ok(null);
      }
      case "delete_paths": {
        const files = this.files.get(a.workspace as string)!;
        let deleted = 0;
        for (const p of a.paths as string[]) {
          if (p.replace(/^\/+|\/+$/g, "") === "")
            return this.invalid(
              "deleting a whole workspace is not offered here; select what is in it instead",
            );
          for (const key of [...files.keys()]) {
            if (key === p || (p.endsWith("/") && key.startsWith(p))) {
              files.delete(key);
              deleted++;
              if (this.versioning.get(a.workspace as string) === "enabled" && !key.endsWith("/"))
                this.addVersion(a.workspace as string, key, 0, true);
            }
          }
        }
        return this.ok({ deleted, failed: [] });
      }
      case "names_existing": {
        const folder = a.folder as string;
        return this.ok(
          (a.names as string[]).filter((n) => this.exists(a.workspace as string, folder + n)),
        );
      }
      case "rename": {
        // A verified move within the folder, run as a job (commands::transfer::rename).
        const ws = a.workspace as string;
        const path = a.path as string;
        const newName = (a.newName as string).trim();
        if (!newName || newName.includes("/") || newName === "." || newName === "..")
          return this.invalid(
            `${JSON.stringify(newName)} cannot be a name (no slashes, not empty, not . or ..)`,
          );
        if (!this.exists(ws, path)) return this.err("not_found", `${path} does not exist`);
        const folder = path.endsWith("/");
        const target = parentOf(path) + newName + (folder ? "/" : "");
        if (this.exists(ws, target))
          return this.err(
            "conflict",
            `${JSON.stringify(newName)} is already here`,
            "Choose another name, or delete the other one first.",
          );
        const size = this.files.get(ws)?.get(path)?.size ?? 0;
        return this.ok(
          this.spawn(
            this.jobView({
              id: "",
              kind: "move",
              title: `Rename ${baseName(path)}`,
              source: `${ws}:${path}`,
              destination: `${ws}:${target}`,
              bytes_total: size,
              current: [baseName(path)],
              touches: [ws],
            }),
            () => this.copyKeys(ws, path, ws, target, true),
          ),
        );
      }
      case "link":
        return this.ok({
          url: `http://127.0.0.1:9000/demo/${a.path as string}?X-Amz-Expires=${String(a.expiresSeconds)}`,
          public: a.expiresSeconds === null,
          expires_at: "2026-11-24T10:00:00Z",
        });
      case "transfer_conflicts": {
        const r = a.request as TransferRequest;
        const ws = r.destination.workspace;
        if (!ws) return this.ok([]);
        return this.ok(
          r.sources
            .map((s) => baseName(s.path) + (s.path.endsWith("/") ? "/" : ""))
            .filter((n) => this.exists(ws, r.destination.path + n)),
        );
      }
      case "transfer_start": {
        const r = a.request as TransferRequest;
        if (r.sources.length === 0) return this.invalid("nothing to transfer");
        for (const s of r.sources) {
          if (!s.workspace && !s.path.startsWith("/"))
            return this.invalid(`${JSON.stringify(s.path)} is not an absolute path`);
          if (s.workspace && s.workspace === r.destination.workspace) {
            const target =
              r.destination.path + baseName(s.path) + (s.path.endsWith("/") ? "/" : "");
            if (target === s.path)
              return this.invalid(`${JSON.stringify(baseName(s.path))} is already there`);
          }
        }
        return this.ok(r.sources.map((s) => this.startTransfer(r, s)));
      }
      case "jobs_watch":
        this.channel = a.onUpdate as Channel;
        return this.ok([...this.jobs.values()].sort((x, y) => y.created.localeCompare(x.created)));
      case "job_pause": {
        const j = this.jobs.get(a.id as string);
        if (!j || !LIVE.includes(j.status)) return this.invalid("that job is not running");
        clearTimeout(this.timers.get(j.id));
        this.job(j.id, { status: "paused", speed: 0, eta_seconds: null });
        return this.ok(null);
      }
      case "job_resume": {
        const j = this.jobs.get(a.id as string);
        if (!j) return this.err("not_found", `there is no job ${a.id as string}`);
        if (!this.order.includes(j.id)) this.order.push(j.id);
        this.job(j.id, { status: "running" });
        this.schedule(j.id);
        return this.ok(null);
      }
      case "jobs_pause_all": {
        for (const id of [...this.order]) {
          clearTimeout(this.timers.get(id));
          if (a.paused) this.job(id, { status: "paused", speed: 0, eta_seconds: null });
          else {
            this.job(id, { status: "running" });
            this.schedule(id);
          }
        }
        return this.ok(null);
      }
      case "job_shift": {
        const id = a.id as string;
        const at = this.order.indexOf(id);
        if (at < 0) return this.invalid(`job ${id} is not running`);
        const to = { up: at - 1, down: at + 1, top: 0, bottom: this.order.length - 1 }[
          a.shift as Shift
        ];
        const clamped = Math.max(0, Math.min(this.order.length - 1, to));
        this.order.splice(at, 1);
        this.order.splice(clamped, 0, id);
        this.requeue();
        return this.ok(null);
      }
      case "job_cancel": {
        const j = this.jobs.get(a.id as string);
        if (!j) return this.err("not_found", `there is no job ${a.id as string}`);
        clearTimeout(this.timers.get(j.id));
        this.effects.delete(j.id);
        // As the engine: a job that ended well keeps its state; any other ends cancelled, also
        // when an abort is refused (that is the error, and the upload stays kept).
        const refused = j.kept_uploads > 0 && this.refusedAborts > 0;
        if (refused) this.refusedAborts--;
        this.job(j.id, {
          status: j.status === "completed" ? "completed" : "cancelled",
          speed: 0,
          eta_seconds: null,
          current: [],
          kept_uploads: refused ? j.kept_uploads : 0,
        });
        if (refused)
          return this.err(
            "failed",
            `${j.kept_uploads} multipart upload(s) of job ${j.id} could not be aborted and still hold their parts on the server (AccessDenied); cancelling the job again tries again`,
            "Their parts take space (and cost) on the server until they are aborted; try again once the server allows it.",
            { kind: "cancel_job", job: j.id },
          );
        return this.ok(null);
      }
      case "job_retry": {
        const j = this.jobs.get(a.id as string);
        if (!j) return this.err("not_found", `there is no job ${a.id as string}`);
        if (LIVE.includes(j.status)) return this.invalid("that job is still running");
        this.order.push(j.id);
        this.job(j.id, { status: "running", files_failed: 0, failures: [], error: null });
        this.schedule(j.id);
        return this.ok(null);
      }
      case "properties_edit": {
        this.versioned(a.workspace as string);
        const ws = a.workspace as string;
        const paths = a.paths as string[];
        return this.ok(
          paths.map((path) =>
            this.spawn(
              this.jobView({
                id: "",
                kind: "edit",
                title: `Edit properties of ${baseName(path)}`,
                source: `${ws}:${path}`,
                destination: `${ws}:${path}`,
                files_total: 1,
                bytes_total: 1000,
                current: [baseName(path)],
                touches: [ws],
              }),
              () => {},
            ),
          ),
        );
      }
      case "tags_get":
        this.versioned(a.workspace as string);
        return this.ok(this.tags.get(`${a.workspace as string}:${a.path as string}`) ?? {});
      case "tags_set": {
        const tags = a.tags as Record<string, string>;
        if (Object.keys(tags).some((k) => k.startsWith("aws:")))
          return this.invalid("tag keys starting aws: are AWS's own");
        this.tags.set(`${a.workspace as string}:${a.path as string}`, tags);
        return this.ok(null);
      }
      case "archive_state":
        this.versioned(a.workspace as string);
        return this.ok(this.archiveState(a.workspace as string, a.path as string));
      case "archive_restore": {
        const ws = a.workspace as string;
        this.versioned(ws);
        if (this.archiveState(ws, a.path as string).state === "archived")
          this.restoring.add(`${ws}:${a.path as string}`);
        return this.ok(this.archiveState(ws, a.path as string));
      }
      case "versioning_get":
        this.versioned(a.workspace as string);
        return this.ok(this.versioning.get(a.workspace as string) ?? "off");
      case "versioning_set":
        this.versioned(a.workspace as string);
        this.versioning.set(a.workspace as string, a.on ? "enabled" : "suspended");
        return this.ok(this.versioning.get(a.workspace as string));
      case "versions_list":
        this.versioned(a.workspace as string);
        return this.ok(this.versionsOf(a.workspace as string, a.path as string));
      case "deleted_list": {
        const ws = a.workspace as string;
        this.versioned(ws);
        const hidden = [...this.versions.entries()]
          .filter(
            ([id, list]) => id.startsWith(`${ws}:${a.folder as string}`) && list[0]?.delete_marker,
          )
          .map(([, list]) => list[0]!);
        return this.ok(hidden);
      }
      case "version_restore": {
        const ws = a.workspace as string;
        const v = this.versionsOf(ws, a.path as string).find((x) => x.version_id === a.version);
        if (!v || v.delete_marker) return this.err("not_found", `no version ${String(a.version)}`);
        this.put(ws, a.path as string, v.size);
        return this.ok(null);
      }
      case "version_delete": {
        const ws = a.workspace as string;
        const list = this.versionsOf(ws, a.path as string);
        const at = list.findIndex((x) => x.version_id === a.version);
        if (at < 0)
          return this.err(
            "not_found",
            `${ws}:${a.path as string} has no version ${String(a.version)}`,
          );
        list.splice(at, 1);
        this.settle(ws, a.path as string);
        return this.ok(null);
      }
      case "undelete": {
        const ws = a.workspace as string;
        const back: string[] = [];
        for (const [id, list] of this.versions) {
          const key = id.slice(ws.length + 1);
          const wanted = (a.paths as string[]).some(
            (p) => key === p || (p.endsWith("/") && key.startsWith(p)) || p === "",
          );
          if (!id.startsWith(`${ws}:`) || !wanted || !list[0]?.delete_marker) continue;
          list.shift();
          this.settle(ws, key);
          back.push(key);
        }
        if (back.length === 0) return this.err("not_found", "nothing there is deleted");
        return this.ok(back);
      }
      case "preview": {
        const e = this.files.get(a.workspace as string)?.get(a.path as string);
        if (!e)
          return this.err("not_found", `${a.path as string} does not exist`, "Refresh the folder.");
        const s3 = this.workspaces.find((w) => w.form.id === a.workspace)?.form.kind === "s3";
        return this.ok(previewOf(e.path, e.size, s3));
      }
      case "open_file": {
        const ws = a.workspace as string;
        const e = this.files.get(ws)?.get(a.path as string);
        if (!e)
          return this.err("not_found", `${a.path as string} does not exist`, "Refresh the folder.");
        this.opened.push({ workspace: ws, path: e.path, edit: a.edit as boolean });
        const s3 = this.workspaces.find((w) => w.form.id === ws)?.form.kind === "s3";
        return this.ok({ edit: a.edit && s3 ? this.opened.length : null, cached: s3 });
      }
      case "edit_resolve":
        this.resolved.push({ edit: a.edit as number, choice: a.choice as string });
        if (this.failResolve) return this.err("failed", "the server is unreachable", "Retry.");
        return this.ok(null);
      case "window_open":
        this.windows.push({
          workspace: a.workspace as string | null,
          path: a.path as string | null,
        });
        return this.ok(null);
      case "drag_out":
        this.draggedOut.push({ workspace: a.workspace as string, paths: a.paths as string[] });
        // Held until the test drops them (or not).
        return new Promise((resolve) => (this.endDrag = (end) => resolve(this.ok(end))));
      case "sync_plan":
      case "sync_pair_plan":
      case "sync_estimate":
      case "sync_run":
      case "sync_forget":
      case "sync_filter_count":
      case "sync_pairs_get":
      case "sync_pair_save":
      case "sync_pair_remove":
      case "sync_pair_run":
      case "prices_get":
      case "prices_save":
        return this.sync.handle(command, a).value;
      case "upload_preview": {
        // As the engine fills it (see transfer::preview_key), for the editor's preview.
        const f = a.form as WorkspaceForm;
        const template = f.key_template.trim();
        if (template && !template.includes("{name}"))
          return this.invalid(`the key template ${JSON.stringify(template)} has no {name}`);
        const entity = f.entity.trim();
        const [ent, name] = entity ? [entity, "billing/invoice.csv"] : ["billing", "invoice.csv"];
        const key = template
          ? template
              .replace("{prefix}", "exports")
              .replace("{entity}", ent)
              .replace("{yyyy}", "2026")
              .replace("{mm}", "12")
              .replace("{dd}", "07")
              .replace("{name}", name)
          : "exports/billing/invoice.csv";
        return this.ok(f.upload_gzip ? `${key}.gz` : key);
      }
      case "opened_take": {
        const taken = this.openRequests;
        this.openRequests = [];
        return this.ok(taken);
      }
      case "workspace_import_opened":
        return this.ok(this.importPreview(a.bucket as string | null));
      case "update_check":
        return this.ok(this.update);
      case "update_install":
        if (this.update.state !== "available" || this.update.version !== a.version)
          return this.invalid(
            `no update to Ferry ${String(a.version)} was offered by the last check`,
          );
        this.updatesInstalled.push(a.version as string);
        return this.ok(null);
      case "storage_move_plan":
        return this.ok(this.storageMovePlan(a.workspace as string, a.into as string | null));
      case "storage_move_start": {
        const shown = this.storageMoveShown;
        if (!shown || shown.id !== a.id)
          return this.invalid("this move is no longer waiting: look at it again");
        this.storageMoves.push([shown.id, shown.into]);
        this.storageMoveShown = null;
        return this.ok("job-move");
      }
      case "drop_preview": {
        // As the engine fills it (transfer::preview_key) for a saved workspace's policy.
        const f = this.workspaces.find((w) => w.form.id === a.workspace)?.form;
        if (!f || (!f.key_template.trim() && !f.upload_gzip)) return this.ok(null);
        const folder = (a.folder as string).replace(/\/$/, "");
        const name = a.name as string;
        const key = f.key_template.trim()
          ? f.key_template
              .trim()
              .replace("{prefix}", folder)
              .replace("{entity}", f.entity.trim() || (a.parent as string))
              .replace("{yyyy}", "2026")
              .replace("{mm}", "12")
              .replace("{dd}", "07")
              .replace("{name}", name)
          : folder
            ? `${folder}/${name}`
            : name;
        return this.ok(f.upload_gzip ? `${key}.gz` : key);
      }
      case "workspace_import_pick":
        return this.ok(this.importPreview(a.bucket as string | null));
      case "workspace_import_apply":
        return this.ok(this.importApply(a.id as string, a.storeKeys as boolean));
      case "edit_stop":
        return this.ok(null);
      case "preview_close":
        this.previewsClosed.push(a.token as string);
        return this.ok(null);
      default: {
        // Every generated command has a case above: a new one fails `npm run check` here.
        const missing: never = command;
        return this.err("failed", `the fake has no command ${String(missing)}`);
      }
    }
  }

  /** What the file a test "chooses" for Add workspace → Import… holds (null: cancelled). */
  importFile: { name: string; bucket: string; keys: boolean } | null = {
    name: ".env",
    bucket: "team-media",
    keys: true,
  };
  imported: { id: string; storeKeys: boolean }[] = [];

  importPreview(bucket: string | null) {
    if (!this.importFile) return null;
    const f = this.importFile;
    return {
      id: "import-1",
      file: f.name,
      format: "django-env" as const,
      items: [
        {
          from: "STORAGE_BACKEND=do_spaces",
          id: this.uniqueId(f.bucket),
          name: bucket ?? f.bucket,
          provider: "digitalocean" as const,
          description: `s3://${f.bucket}/media/ at https://nyc3.digitaloceanspaces.com`,
          credentials: "access key in the keychain",
          policy: "never replaces a file",
          defaults: "ACL private, Cache-Control max-age=86400, encryption AES256",
          keys_found: f.keys,
          unmapped: ["DEBUG: not storage settings"],
        },
      ],
    };
  }

  /** As the engine plans it (import::storage_move), for a local media-planning workspace. */
  /** Links and files other apps handed Ferry, waiting for `opened_take`. */
  openRequests: OpenRequest[] = [];
  /** What the update feed says (`off`: no feed in the settings). */
  update: UpdateStatus = { state: "off" };
  updatesInstalled: string[] = [];

  storageMovePlan(workspace: string, into: string | null): StorageMoveView {
    const ws = this.workspaces.find((w) => w.form.id === workspace);
    if (!ws?.media_plan)
      return this.invalid(`${workspace} was not imported from a media-planning settings file`);
    const target = into ? this.workspaces.find((w) => w.form.id === into) : undefined;
    const id = `move-${this.storageMoves.length + 1}-${into ?? "own"}`;
    this.storageMoveShown = { id, into };
    const bucket = target ? target.form.bucket : "plans-bucket";
    return {
      id,
      file: ws.media_plan,
      to: "s3",
      from: { id: ws.form.id, name: ws.form.name, description: ws.description, new: false },
      into: target
        ? {
            id: target.form.id,
            name: target.form.name,
            description: target.description,
            new: false,
          }
        : {
            id: "plans-s3",
            name: "Plans (S3)",
            description: "s3://plans-bucket/w1/ at AWS us-east-1",
            new: true,
          },
      section_before: '{\n  "mode": "local"\n}',
      section_after: `{\n  "mode": "s3",\n  "s3": {\n    "bucket": "${bucket}"\n  }\n}`,
      notes: ["The files stay in /home/me/Ferry as a backup; Ferry does not delete them."],
      keys_found: false,
      targets: this.workspaces
        .filter((w) => w.form.kind === "s3")
        .map((w) => ({ id: w.form.id, name: w.form.name, description: w.description })),
    };
  }

  importApply(id: string, storeKeys: boolean): string[] {
    if (id !== "import-1") return this.invalid("this import is no longer waiting");
    const f = this.importFile!;
    const ws = this.uniqueId(f.bucket);
    this.imported.push({ id: ws, storeKeys });
    this.workspaces.push({
      form: {
        ...blankForm("s3"),
        id: ws,
        name: f.bucket,
        bucket: f.bucket,
        prefix: "media/",
        endpoint_url: "https://nyc3.digitaloceanspaces.com",
      },
      provider: "digitalocean",
      description: `s3://${f.bucket}/media/ at https://nyc3.digitaloceanspaces.com`,
      is_default: false,
      secret_set: storeKeys,
      media_plan: null,
    });
    return [ws];
  }

  /** Files dragged from the desktop, as Tauri reports them (positions in physical pixels). */
  async drop(paths: string[], x: number, y: number): Promise<void> {
    const s = window.devicePixelRatio || 1;
    const position = { x: x * s, y: y * s };
    await emit("tauri://drag-enter", { paths, position });
    await emit("tauri://drag-over", { position });
    await emit("tauri://drag-drop", { paths, position });
  }

  /** Files dragged in from the desktop and held at (x, y), not dropped yet. */
  async dragEnter(paths: string[], x: number, y: number): Promise<void> {
    const s = window.devicePixelRatio || 1;
    await emit("tauri://drag-enter", { paths, position: { x: x * s, y: y * s } });
  }

  async dragOver(x: number, y: number): Promise<void> {
    const s = window.devicePixelRatio || 1;
    await emit("tauri://drag-over", { position: { x: x * s, y: y * s } });
  }

  /** The drag left the window (or was given up). */
  dragLeave(): Promise<void> {
    return emit("tauri://drag-leave", null);
  }

  /** Saves of files edited in other apps, as the app reports them. */
  editConflict(
    edit: number,
    workspace: string,
    path: string,
    gone = false,
    window = "main",
  ): Promise<void> {
    return emit("edit-conflict", { edit, window, workspace, path, gone });
  }

  editSaved(edit: number, workspace: string, path: string, asCopy = false): Promise<void> {
    return emit("edit-saved", { edit, window: "main", workspace, path, as_copy: asCopy });
  }

  editFailed(edit: number, workspace: string, path: string, message: string): Promise<void> {
    return emit("edit-failed", { edit, window: "main", workspace, path, message });
  }

  changeSettings(): Promise<void> {
    return emit("settings-changed", { valid: this.problem === null });
  }
}

declare global {
  interface Window {
    fake: Fake;
    fakeSeed?: FakeSeed;
  }
}

/** What crosses IPC: Tauri sends arguments and answers as JSON, never live objects. */
function wire<T>(value: T): T {
  return value === undefined ? (null as T) : (JSON.parse(JSON.stringify(value)) as T);
}

/** ferry_engine::preview, by extension: what each kind of file shows. */
function previewOf(path: string, size: number, s3: boolean): PreviewView {
  const name = baseName(path);
  const ext = name.includes(".") ? (name.split(".").pop() ?? "").toLowerCase() : "";
  // Checked against an ETag: read whole, and only S3 gives one.
  const head = {
    encoding: "UTF-8",
    truncated: size > 256 * 1024,
    verified: s3 && size <= 256 * 1024,
  };
  switch (ext) {
    case "":
    case "txt":
    case "md":
    case "log":
      return { kind: "text", text: `Contents of ${path}\n`.repeat(3), pretty: false, ...head };
    case "json":
      return { kind: "text", text: '{\n  "name": "ferry"\n}', pretty: true, ...head };
    case "csv":
      return {
        kind: "table",
        rows: [
          ["name", "size"],
          [baseName(path), String(size)],
        ],
        ...head,
      };
    case "png":
    case "jpg":
      return {
        kind: "image",
        src: DOT_PNG,
        width: 1,
        height: 1,
        source_width: 4000,
        source_height: 3000,
        verified: s3,
      };
    case "pdf":
    case "mp3":
    case "mp4":
      return {
        kind: "media",
        media: ext === "pdf" ? "pdf" : ext === "mp3" ? "audio" : "video",
        token: `token-${baseName(path)}`,
        content_type:
          ext === "pdf" ? "application/pdf" : ext === "mp3" ? "audio/mpeg" : "video/mp4",
        size,
      };
    default:
      return { kind: "none", reason: "this kind of file has no preview" };
  }
}

/** A 1×1 PNG. */
const DOT_PNG =
  "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

export function installFake(): Fake {
  const fake = new Fake();
  if (window.fakeSeed) fake.seed(window.fakeSeed);
  window.fake = fake;
  mockWindows("main");
  // Media previews then load from http://ferry-media.localhost/TOKEN, which tests can route.
  mockConvertFileSrc("windows");
  mockIPC(
    (cmd, args) => {
      // A channel travels as its id and stays live; every other argument arrives as a copy
      // (which also turns the UI's reactive proxies into plain data, as serde would see it).
      const live = cmd === "jobs_watch";
      const entry: Fake["calls"][number] = { cmd, args: live ? null : wire(args) };
      fake.calls.push(entry);
      const settle = (result: { data: unknown }) => {
        entry.result = wire(result.data);
        return wire(result.data);
      };
      try {
        const received = (live ? args : wire(args)) as Record<string, unknown> | undefined;
        const result = fake.handle(cmd, received ?? {}) as
          { data: unknown } | Promise<{ data: unknown }>;
        // A command the test holds open (a drag under way) answers later.
        if (result instanceof Promise) return result.then(settle);
        return settle(result);
      } catch (e) {
        entry.error = e;
        throw e;
      }
    },
    { shouldMockEvents: true },
  );
  return fake;
}

/** settings::workspace_warnings: what saving allows but the editor says (plain http elsewhere). */
function warningsOf(f: WorkspaceForm): FieldProblem[] {
  if (f.kind !== "s3") return [];
  try {
    const url = new URL(f.endpoint_url.trim());
    const host = url.hostname.replace(/^\[|\]$/g, "");
    const loopback = host === "localhost" || host.startsWith("127.") || host === "::1";
    if (url.protocol === "http:" && !loopback)
      return [
        {
          field: "storage.endpoint_url",
          message: `http:// is not encrypted: requests to ${host} and the files in them can be read and changed by anyone on the way; use https:// unless you trust every network in between`,
          warning: true,
        },
      ];
  } catch {
    // Not a URL: check() has said so.
  }
  return [];
}
