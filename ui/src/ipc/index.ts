// The only module that talks to Tauri. Everything else imports from here, so the UI can run in
// a browser with the IPC mocked (tests) and never sees Tauri's shapes.

import { Channel } from "@tauri-apps/api/core";
import { getCurrentWebview } from "@tauri-apps/api/webview";
import { commands, events } from "./bindings";
import type { IpcError, JobView } from "./bindings";

export type * from "./bindings";

/** An engine error: `code` to branch on, `message` and `hint` to show. */
export class FerryError extends Error {
  readonly code: IpcError["code"];
  readonly hint: string;
  constructor(e: IpcError) {
    super(e.message);
    this.code = e.code;
    this.hint = e.hint;
  }
}

type Answer<T> = { status: "ok"; data: T } | { status: "error"; error: IpcError };

async function unwrap<T>(p: Promise<Answer<T>>): Promise<T> {
  const r = await p;
  if (r.status === "error") throw new FerryError(r.error);
  return r.data;
}

export const api = {
  appInfo: () => unwrap(commands.appInfo()),
  pick: (kind: Parameters<typeof commands.pick>[0]) => unwrap(commands.pick(kind)),
  clipboardWrite: (text: string) => unwrap(commands.clipboardWrite(text)),
  settingsOpenFile: () => unwrap(commands.settingsOpenFile()),
  windowTitle: (title: string) => unwrap(commands.windowTitle(title)),
  settingsGet: () => unwrap(commands.settingsGet()),
  workspaceCheck: (...a: Parameters<typeof commands.workspaceCheck>) =>
    unwrap(commands.workspaceCheck(...a)),
  workspaceSave: (...a: Parameters<typeof commands.workspaceSave>) =>
    unwrap(commands.workspaceSave(...a)),
  workspaceRemove: (id: string) => unwrap(commands.workspaceRemove(id)),
  workspaceSetDefault: (id: string) => unwrap(commands.workspaceSetDefault(id)),
  workspaceTest: (...a: Parameters<typeof commands.workspaceTest>) =>
    unwrap(commands.workspaceTest(...a)),
  secretClear: (id: string) => unwrap(commands.secretClear(id)),
  transferPrefsSave: (...a: Parameters<typeof commands.transferPrefsSave>) =>
    unwrap(commands.transferPrefsSave(...a)),
  listOpen: (workspace: string, path: string) => unwrap(commands.listOpen(workspace, path)),
  listMore: (listing: number) => unwrap(commands.listMore(listing)),
  listClose: (listing: number) => unwrap(commands.listClose(listing)),
  properties: (workspace: string, path: string) => unwrap(commands.properties(workspace, path)),
  folderCreate: (workspace: string, path: string) => unwrap(commands.folderCreate(workspace, path)),
  deletePaths: (workspace: string, paths: string[]) =>
    unwrap(commands.deletePaths(workspace, paths)),
  link: (workspace: string, path: string, expiresSeconds: number | null) =>
    unwrap(commands.link(workspace, path, expiresSeconds)),
  transferConflicts: (...a: Parameters<typeof commands.transferConflicts>) =>
    unwrap(commands.transferConflicts(...a)),
  transferStart: (...a: Parameters<typeof commands.transferStart>) =>
    unwrap(commands.transferStart(...a)),
  rename: (workspace: string, path: string, newName: string) =>
    unwrap(commands.rename(workspace, path, newName)),
  jobPause: (id: string) => unwrap(commands.jobPause(id)),
  jobResume: (id: string) => unwrap(commands.jobResume(id)),
  jobCancel: (id: string) => unwrap(commands.jobCancel(id)),
  jobRetry: (id: string) => unwrap(commands.jobRetry(id)),

  /** Job updates arrive on a channel; returns every job known now. */
  jobsWatch(onUpdate: (job: JobView) => void): Promise<JobView[]> {
    const channel = new Channel<JobView>();
    channel.onmessage = onUpdate;
    return unwrap(commands.jobsWatch(channel));
  },

  onSettingsChanged(handler: (valid: boolean) => void): Promise<() => void> {
    return events.settingsChanged.listen((e) => handler(e.payload.valid));
  },
};

export interface DropHandlers {
  /** The pointer moved over the window with files; x and y in CSS pixels. */
  over(x: number, y: number): void;
  drop(paths: string[], x: number, y: number): void;
  leave(): void;
}

/** Files dragged from the desktop: Tauri hands over their paths (the DOM never sees them). */
export function onFileDrop(h: DropHandlers): Promise<() => void> {
  return getCurrentWebview().onDragDropEvent((event) => {
    const p = event.payload;
    const scale = window.devicePixelRatio || 1;
    if (p.type === "over" || p.type === "enter") h.over(p.position.x / scale, p.position.y / scale);
    else if (p.type === "drop") h.drop(p.paths, p.position.x / scale, p.position.y / scale);
    else h.leave();
  });
}
