// The Size column for folders, on demand: each folder row of the folder shown is counted below
// it (objects and bytes), one folder at a time, its total growing as its listing arrives. Off,
// or another folder opened, the counting stops.

import { api, type Usage } from "../ipc";

export interface Counted {
  usage: Usage;
  done: boolean;
}

class FolderSizes {
  /** Whether folder rows show their size. */
  on = $state(false);
  /** Folder path → what was counted below it so far. */
  counted = $state<Record<string, Counted>>({});
  private generation = 0;
  private open: number | null = null;

  /** Counts `folders` of `workspace` in turn; a later call (or `stop`) ends this one. */
  async count(workspace: string, folders: string[]): Promise<void> {
    this.stop();
    const generation = this.generation;
    for (const path of folders) {
      if (generation !== this.generation) return;
      if (this.counted[path]?.done) continue;
      try {
        let step = await api.folderSizeOpen(workspace, path);
        this.open = step.count;
        while (generation === this.generation) {
          this.counted = { ...this.counted, [path]: { usage: step.usage, done: step.done } };
          if (step.done) break;
          step = await api.folderSizeMore(step.count, step.usage);
        }
        if (generation !== this.generation && !step.done)
          void api.folderSizeClose(step.count).catch(() => {});
        this.open = null;
      } catch {
        // A folder that cannot be counted shows no size; the next is counted.
        this.open = null;
      }
    }
  }

  /** Stops counting (the totals so far stay). */
  stop(): void {
    this.generation++;
    if (this.open !== null) void api.folderSizeClose(this.open).catch(() => {});
    this.open = null;
  }

  /** Another folder is shown: what was counted belonged to the one before. */
  reset(): void {
    this.stop();
    this.counted = {};
  }

  bytes(path: string): number | undefined {
    return this.on ? this.counted[path]?.usage.bytes : undefined;
  }
}

export const folderSizes = new FolderSizes();
