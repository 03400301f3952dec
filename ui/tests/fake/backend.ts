// An in-memory Ferry behind mocked Tauri IPC, for UI tests in a plain browser. It answers the
// same commands as src-tauri with the same shapes (typed by the generated bindings), and logs
// every call and answer so tests can assert on what crossed IPC.

import { mockIPC, mockWindows } from "@tauri-apps/api/mocks";
import { emit } from "@tauri-apps/api/event";
import type {
  EntryView,
  JobView,
  SettingsView,
  TransferRequest,
  WorkspaceForm,
  WorkspaceView,
} from "../../src/ipc/bindings";

interface Channel {
  onmessage: (v: unknown) => void;
}

const PAGE = 100;

function form(partial: Partial<WorkspaceForm>): WorkspaceForm {
  return {
    id: "",
    name: "",
    kind: "s3",
    base_path: "",
    bucket: "",
    prefix: "",
    region: "",
    endpoint_url: "",
    path_style: false,
    credentials: "keychain",
    profile: "",
    sse: "",
    kms_key_id: "",
    storage_class: "",
    acl: "",
    cache_control: "",
    public_base_url: "",
    checksums: "",
    ...partial,
  };
}

export class Fake {
  calls: { cmd: string; args: unknown; result?: unknown; error?: unknown }[] = [];
  workspaces: WorkspaceView[] = [
    {
      form: form({ id: "local", name: "Local", kind: "local", base_path: "/home/me/Ferry" }),
      provider: "local",
      description: "/home/me/Ferry",
      is_default: true,
      secret_set: false,
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
    },
  ];
  /** Workspace id → key → entry (folders end with "/"). */
  files = new Map<string, Map<string, EntryView>>();
  secrets = new Map<string, { access_key_id: string; secret_access_key: string }>();
  conflict: SettingsView["transfer"]["conflict"] = "ask";
  problem: SettingsView["problem"] = null;
  jobs = new Map<string, JobView>();
  channel: Channel | null = null;
  listings = new Map<number, EntryView[]>();
  nextListing = 1;
  nextJob = 1;
  /** When set, jobs stay running until `finish` is called. */
  holdJobs = false;

  constructor() {
    this.put("local", "notes.txt", 1200);
    this.put("local", "photos/", 0);
    this.put("local", "photos/cat.jpg", 245_000);
    this.put("local", "photos/dog.jpg", 310_000);
    this.put("local", "report.pdf", 2_400_000);
    this.put("local", "archive.zip", 52_000_000);
    this.put("demo-s3", "readme.md", 512);
  }

  put(ws: string, key: string, size: number, modified = "2026-11-01T10:00:00Z"): void {
    if (!this.files.has(ws)) this.files.set(ws, new Map());
    const name = key.replace(/\/$/, "").split("/").pop() ?? key;
    this.files.get(ws)!.set(key, {
      name,
      path: key,
      is_folder: key.endsWith("/"),
      size,
      modified: key.endsWith("/") ? null : modified,
      storage_class: ws === "local" || key.endsWith("/") ? null : "STANDARD",
    });
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
        });
      } else out.set(key, e);
    }
    return [...out.values()].sort((a, b) => a.path.localeCompare(b.path));
  }

  settings(): SettingsView {
    return {
      path: "/home/me/.config/ferry/settings.json",
      workspaces: this.problem ? [] : structuredClone(this.workspaces),
      default_workspace: this.problem ? null : "local",
      transfer: {
        concurrency: 8,
        part_concurrency: 4,
        part_size_mib: 16,
        multipart_threshold_mib: 64,
        memory_budget_mib: 256,
        conflict: this.conflict,
      },
      problem: this.problem,
      warnings: [],
    };
  }

  ok<T>(data: T) {
    return { status: "ok", data };
  }
  err(code: string, message: string, hint = "") {
    // tauri-specta turns a rejected invoke into { status: "error", error }.
    throw { code, message, hint };
  }

  job(id: string, patch: Partial<JobView>): JobView {
    const next = { ...this.jobs.get(id)!, ...patch };
    this.jobs.set(id, next);
    this.channel?.onmessage(structuredClone(next));
    return next;
  }

  startJob(request: TransferRequest, source: { workspace?: string | null; path: string }): string {
    const id = `job-${this.nextJob++}`;
    const name = source.path.replace(/\/$/, "").split("/").pop() ?? source.path;
    const size = 1_000_000;
    const upload = !source.workspace;
    this.jobs.set(id, {
      id,
      kind: request.kind,
      title: `${upload ? "Upload" : request.destination.workspace ? "Copy" : "Download"} ${name}`,
      source: source.workspace ? `${source.workspace}:${source.path}` : source.path,
      destination: request.destination.workspace
        ? `${request.destination.workspace}:${request.destination.path}${name}`
        : `${request.destination.path}/${name}`,
      status: "running",
      files_done: 0,
      files_total: 1,
      files_failed: 0,
      files_skipped: 0,
      bytes_done: 0,
      bytes_total: size,
      speed: 0,
      eta_seconds: null,
      current: [name],
      failures: [],
      error: null,
      created: new Date(Date.now() + this.nextJob).toISOString(),
      touches: [request.destination.workspace, source.workspace].filter((w): w is string => !!w),
    });
    this.job(id, { bytes_done: size / 2, speed: 4_000_000, eta_seconds: 1 });
    if (!this.holdJobs) setTimeout(() => this.finish(id, request, source, name, size), 150);
    return id;
  }

  finish(
    id: string,
    request: TransferRequest,
    source: { workspace?: string | null; path: string },
    name: string,
    size: number,
  ): void {
    if (request.destination.workspace) {
      const key = request.destination.path + name + (source.path.endsWith("/") ? "/" : "");
      this.put(request.destination.workspace, key, source.path.endsWith("/") ? 0 : size);
    }
    this.job(id, {
      status: "completed",
      files_done: 1,
      bytes_done: size,
      current: [],
      speed: 0,
      eta_seconds: null,
    });
  }

  handle(cmd: string, a: Record<string, unknown>): unknown {
    switch (cmd) {
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
          a.kind === "destination" ? ["/home/me/Downloads"] : ["/home/me/Desktop/picked.txt"],
        );
      case "settings_get":
        return this.ok(this.settings());
      case "workspace_check": {
        const f = a.form as WorkspaceForm;
        const problems = [];
        if (f.kind === "s3" && f.bucket && !/^[a-z0-9.-]{3,63}$/.test(f.bucket))
          problems.push({
            field: "storage.bucket",
            message: `"${f.bucket}" is not a valid bucket name`,
          });
        if (f.endpoint_url && !/^https?:\/\//.test(f.endpoint_url))
          problems.push({
            field: "storage.endpoint_url",
            message: "write it like https://s3.example.com",
          });
        return this.ok(problems);
      }
      case "workspace_save": {
        const f = structuredClone(a.form as WorkspaceForm);
        if (!f.id) f.id = f.name.toLowerCase().replace(/[^a-z0-9]+/g, "-");
        const secret = a.secret as { access_key_id: string; secret_access_key: string } | null;
        if (secret) this.secrets.set(f.id, secret);
        const view: WorkspaceView = {
          form: f,
          provider: f.kind === "local" ? "local" : "custom",
          description: f.kind === "local" ? f.base_path : `s3://${f.bucket}/${f.prefix}`,
          is_default: false,
          secret_set: this.secrets.has(f.id),
        };
        const i = this.workspaces.findIndex((w) => w.form.id === f.id);
        if (i >= 0) this.workspaces[i] = view;
        else this.workspaces.push(view);
        return this.ok(view);
      }
      case "workspace_remove":
        this.workspaces = this.workspaces.filter((w) => w.form.id !== a.id);
        return this.ok(null);
      case "workspace_set_default":
        return this.ok(null);
      case "secret_clear": {
        const had = this.secrets.delete(a.id as string);
        const ws = this.workspaces.find((w) => w.form.id === a.id);
        if (ws) ws.secret_set = false;
        return this.ok(had);
      }
      case "workspace_test": {
        const f = a.form as WorkspaceForm;
        const ok = f.endpoint_url.includes("127.0.0.1") || f.kind === "local";
        return this.ok({
          ok,
          target: f.endpoint_url,
          checks: ok
            ? [
                { name: "connect", ok: true, message: "connected", hint: null },
                { name: "list", ok: true, message: "listed", hint: null },
                { name: "write", ok: true, message: "wrote a probe", hint: null },
                { name: "cleanup", ok: true, message: "removed the probe", hint: null },
              ]
            : [
                {
                  name: "connect",
                  ok: false,
                  message: "nothing answers at that address",
                  hint: "Check the endpoint.",
                },
              ],
        });
      }
      case "transfer_prefs_save":
        this.conflict = (a.prefs as SettingsView["transfer"]).conflict;
        return this.ok(null);
      case "list_open": {
        const all = this.children(a.workspace as string, a.path as string);
        const id = this.nextListing++;
        this.listings.set(id, all.slice(PAGE));
        return this.ok({ listing: id, entries: all.slice(0, PAGE), done: all.length <= PAGE });
      }
      case "list_more": {
        const rest = this.listings.get(a.listing as number) ?? [];
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
        });
      }
      case "folder_create":
        this.put(a.workspace as string, a.path as string, 0);
        return this.ok(null);
      case "delete_paths": {
        const files = this.files.get(a.workspace as string)!;
        let deleted = 0;
        for (const p of a.paths as string[]) {
          for (const key of [...files.keys()]) {
            if (key === p || (p.endsWith("/") && key.startsWith(p))) {
              files.delete(key);
              deleted++;
            }
          }
        }
        return this.ok({ deleted, failed: [] });
      }
      case "rename": {
        const files = this.files.get(a.workspace as string)!;
        const e = files.get(a.path as string);
        if (!e) return this.err("not_found", "gone");
        files.delete(a.path as string);
        const parent = (a.path as string).replace(/[^/]+\/?$/, "");
        this.put(
          a.workspace as string,
          parent + (a.newName as string) + (e.is_folder ? "/" : ""),
          e.size,
        );
        const id = `job-${this.nextJob++}`;
        return this.ok(id);
      }
      case "link":
        return this.ok({
          url: `http://127.0.0.1:9000/demo/${a.path as string}?X-Amz-Expires=${String(a.expiresSeconds)}`,
          public: a.expiresSeconds === null,
          expires_at: "2026-11-24T10:00:00Z",
        });
      case "transfer_conflicts": {
        const r = a.request as TransferRequest;
        const dest = this.files.get(r.destination.workspace ?? "") ?? new Map();
        return this.ok(
          r.sources
            .map((s) => s.path.replace(/\/$/, "").split("/").pop() ?? "")
            .filter(
              (n) => dest.has(r.destination.path + n) || dest.has(r.destination.path + n + "/"),
            ),
        );
      }
      case "transfer_start": {
        const r = a.request as TransferRequest;
        return this.ok(r.sources.map((s) => this.startJob(r, s)));
      }
      case "jobs_watch":
        this.channel = a.onUpdate as Channel;
        return this.ok([...this.jobs.values()]);
      case "job_pause":
        this.job(a.id as string, { status: "paused" });
        return this.ok(null);
      case "job_resume":
        this.job(a.id as string, { status: "running" });
        return this.ok(null);
      case "job_cancel":
        this.job(a.id as string, { status: "cancelled" });
        return this.ok(null);
      case "job_retry":
        this.job(a.id as string, { status: "running", files_failed: 0, failures: [] });
        return this.ok(null);
      default:
        return this.err("failed", `the fake has no command ${cmd}`);
    }
  }

  /** Files dragged from the desktop, as Tauri reports them (positions in physical pixels). */
  async drop(paths: string[], x: number, y: number): Promise<void> {
    const s = window.devicePixelRatio || 1;
    const position = { x: x * s, y: y * s };
    await emit("tauri://drag-enter", { paths, position });
    await emit("tauri://drag-over", { position });
    await emit("tauri://drag-drop", { paths, position });
  }

  async dragOver(x: number, y: number): Promise<void> {
    const s = window.devicePixelRatio || 1;
    await emit("tauri://drag-over", { position: { x: x * s, y: y * s } });
  }

  changeSettings(): Promise<void> {
    return emit("settings-changed", { valid: this.problem === null });
  }
}

declare global {
  interface Window {
    fake: Fake;
  }
}

export function installFake(): Fake {
  const fake = new Fake();
  window.fake = fake;
  mockWindows("main");
  mockIPC(
    (cmd, args) => {
      const entry: Fake["calls"][number] = {
        cmd,
        args: args && cmd !== "jobs_watch" ? structuredClone(args) : null,
      };
      fake.calls.push(entry);
      try {
        const result = fake.handle(cmd, (args ?? {}) as Record<string, unknown>) as {
          data: unknown;
        };
        entry.result = structuredClone(result.data);
        return result.data;
      } catch (e) {
        entry.error = e;
        throw e;
      }
    },
    { shouldMockEvents: true },
  );
  return fake;
}
