// The only module that talks to Tauri. Everything else imports from here, so the UI can run in
// a browser with the IPC mocked (tests) and never sees Tauri's shapes.

import { Channel, convertFileSrc } from "@tauri-apps/api/core";
import { getCurrentWebview } from "@tauri-apps/api/webview";
import { commands, events } from "./bindings";
import type {
  EditConflict,
  EditFailed,
  EditSaved,
  ErrorReport_Serialize,
  JobView,
} from "./bindings";
import { advice } from "../lib/remedy";

export type * from "./bindings";

/** An engine error: `code` to branch on, `message` and `hint` to show, `remedy` to offer. */
export class FerryError extends Error {
  readonly code: ErrorReport_Serialize["code"];
  readonly hint: string;
  readonly remedy: ErrorReport_Serialize["remedy"];
  constructor(e: ErrorReport_Serialize) {
    super(e.message);
    this.code = e.code;
    this.hint = e.hint;
    this.remedy = e.remedy;
  }

  /** What to do, in the app's words: the hint and the remedy. */
  get advice(): string {
    return advice(this);
  }
}

type Commands = typeof commands;
type Answer<T> = { status: "ok"; data: T } | { status: "error"; error: ErrorReport_Serialize };
type Data<R> = R extends Promise<Answer<infer T>> ? T : never;

/** Every generated command, answering its data or throwing a {@link FerryError}. */
type Api = {
  [K in keyof Commands]: (...a: Parameters<Commands[K]>) => Promise<Data<ReturnType<Commands[K]>>>;
};

async function unwrap<T>(p: Promise<Answer<T>>): Promise<T> {
  const r = await p;
  if (r.status === "error") throw new FerryError(r.error);
  return r.data;
}

// Made from the generated commands, so a new command needs no line here.
const generated = Object.fromEntries(
  Object.entries(commands).map(([name, command]) => [
    name,
    (...a: unknown[]) => unwrap((command as (...a: unknown[]) => Promise<Answer<unknown>>)(...a)),
  ]),
) as Api;

export const api = {
  ...generated,

  /** Job updates arrive on a channel; returns every job known now. */
  jobsWatch(onUpdate: (job: JobView) => void): Promise<JobView[]> {
    const channel = new Channel<JobView>();
    channel.onmessage = onUpdate;
    return unwrap(commands.jobsWatch(channel));
  },

  onSettingsChanged(handler: (valid: boolean) => void): Promise<() => void> {
    return events.settingsChanged.listen((e) => handler(e.payload.valid));
  },

  /** Another app handed Ferry a link or a file: take it with `openedTake`. */
  onOpenRequested(handler: () => void): Promise<() => void> {
    return events.openRequested.listen(() => handler());
  },

  /** A saved sync pair ran (or stopped for review). */
  onPairsChanged(handler: (name: string) => void): Promise<() => void> {
    return events.pairsChanged.listen((e) => handler(e.payload.name));
  },

  /** A save of a file this window opened for editing reached its object. */
  onEditSaved(handler: (saved: EditSaved) => void): Promise<() => void> {
    return events.editSaved.listen((e) => mine(e.payload.window) && handler(e.payload));
  },

  /** A file this window opened for editing was saved, but its object changed meanwhile: ask. */
  onEditConflict(handler: (conflict: EditConflict) => void): Promise<() => void> {
    return events.editConflict.listen((e) => mine(e.payload.window) && handler(e.payload));
  },

  /** A save of a file this window opened for editing could not be sent (it is tried again). */
  onEditFailed(handler: (failed: EditFailed) => void): Promise<() => void> {
    return events.editFailed.listen((e) => mine(e.payload.window) && handler(e.payload));
  },
};

export interface DropHandlers {
  /** The pointer moved over the window with files; x and y in CSS pixels. */
  over(x: number, y: number): void;
  drop(paths: string[], x: number, y: number): void;
  leave(): void;
  /** Files entered the window: what they are (for the drop target's preview). */
  enter?(paths: string[]): void;
}

/** Files dragged from the desktop: Tauri hands over their paths (the DOM never sees them). */
export function onFileDrop(h: DropHandlers): Promise<() => void> {
  return getCurrentWebview().onDragDropEvent((event) => {
    const p = event.payload;
    const scale = window.devicePixelRatio || 1;
    if (p.type === "enter") h.enter?.(p.paths);
    if (p.type === "over" || p.type === "enter") h.over(p.position.x / scale, p.position.y / scale);
    else if (p.type === "drop") h.drop(p.paths, p.position.x / scale, p.position.y / scale);
    else h.leave();
  });
}

/**
 * Whether news of an edit is this window's: the window that opened it, or any window when that
 * one has closed ("").
 */
function mine(window: string): boolean {
  return window === "" || window === getCurrentWebview().label;
}

/** Where the web view reads a previewed audio, video or PDF: the app's `ferry-media:` protocol. */
export function mediaUrl(token: string): string {
  return convertFileSrc(token, "ferry-media");
}
