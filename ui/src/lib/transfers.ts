// Starting transfers from what the person did: a drop, a picker, a download, copy and paste,
// "Copy to…"/"Move to…". A transfer whose names already exist at the destination asks first
// (when the conflict rule is "ask") and starts with the answer.

import { api, type Place, type TransferKind, type TransferRequest } from "../ipc";
import { app } from "./app.svelte";
import { dialogs } from "./dialogs.svelte";
import { baseName } from "./listing";
import { messages } from "./messages.svelte";

/** Starts `request`, asking about existing names first when the conflict rule is "ask". */
export async function transfer(request: TransferRequest): Promise<void> {
  try {
    if (request.conflict === null && app.settings?.transfer.conflict === "ask") {
      const names = await api.transferConflicts(request);
      if (names.length > 0) {
        const choice = await dialogs.conflict(names, request.sources.length);
        if (choice === null) return;
        request = { ...request, conflict: choice };
      }
    }
    const ids = await api.transferStart(request);
    const what =
      request.sources.length === 1
        ? baseName(request.sources[0]?.path ?? "")
        : `${request.sources.length} items`;
    messages.info(
      `Started: ${what}`,
      ids.length > 1 ? `${ids.length} jobs in the transfer panel` : undefined,
    );
  } catch (e) {
    messages.fail(e);
  }
}

/** Uploads local paths (from a drop or a picker) into a folder of the current workspace. */
export function upload(paths: string[], folder: string = app.path): Promise<void> {
  if (!app.workspaceId || paths.length === 0) return Promise.resolve();
  return transfer({
    kind: "copy",
    sources: paths.map((p) => ({ workspace: null, path: p })),
    destination: { workspace: app.workspaceId, path: folder },
    conflict: null,
    version: null,
  });
}

export async function uploadPicked(kind: "files" | "folder"): Promise<void> {
  try {
    await upload(await api.pick(kind));
  } catch (e) {
    messages.fail(e);
  }
}

export async function downloadSelected(): Promise<void> {
  const ws = app.workspaceId;
  const paths = app.selectedRows.map((r) => r.path);
  if (!ws || paths.length === 0) return;
  try {
    const [dir] = await api.pick("destination");
    if (!dir) return;
    await transfer({
      kind: "copy",
      sources: paths.map((path) => ({ workspace: ws, path })),
      destination: { workspace: null, path: dir },
      conflict: null,
      version: null,
    });
  } catch (e) {
    messages.fail(e);
  }
}

/** Downloads version `version` of the object at `path` of the current workspace, under its name. */
export async function downloadVersion(path: string, version: string): Promise<void> {
  const ws = app.workspaceId;
  if (!ws) return;
  try {
    const [dir] = await api.pick("destination");
    if (!dir) return;
    await transfer({
      kind: "copy",
      sources: [{ workspace: ws, path }],
      destination: { workspace: null, path: dir },
      conflict: null,
      version,
    });
  } catch (e) {
    messages.fail(e);
  }
}

/** Copies or moves `paths` of the current workspace to a folder of another (or this) one. */
export function sendTo(mode: TransferKind, paths: string[], destination: Place): Promise<void> {
  const ws = app.workspaceId;
  if (!ws) return Promise.resolve();
  return transfer({
    kind: mode,
    sources: paths.map((path) => ({ workspace: ws, path })),
    destination,
    conflict: null,
    version: null,
  });
}

export function copyToClipboard(): void {
  if (!app.workspaceId || app.selectedPaths.length === 0) return;
  app.clipboard = { workspace: app.workspaceId, paths: [...app.selectedPaths] };
  messages.info(`Copied ${app.clipboard.paths.length} item(s); paste with Ctrl+V in any folder`);
}

export function paste(): Promise<void> {
  const clip = app.clipboard;
  if (!clip || !app.workspaceId) return Promise.resolve();
  return transfer({
    kind: "copy",
    sources: clip.paths.map((path) => ({ workspace: clip.workspace, path })),
    destination: { workspace: app.workspaceId, path: app.path },
    conflict: null,
    version: null,
  });
}
