// The one dialog open at a time. A dialog that answers a question (which conflict rule?)
// is awaited as a promise by the flow that asked; the others act on their own when confirmed.

import type { ConflictPolicy, PairView, SyncEnd, TransferKind } from "../ipc";

export type Dialog =
  | { kind: "settings"; workspace?: string; section?: "import" | "new" | "updates" }
  | { kind: "delete"; paths: string[] }
  | { kind: "rename"; path: string }
  | { kind: "new-folder" }
  | { kind: "link"; path: string }
  | { kind: "properties"; path: string; note?: string }
  | { kind: "preview"; path: string }
  | {
      kind: "conflict";
      names: string[];
      total: number;
      answer: (choice: ConflictPolicy | null) => void;
    }
  | { kind: "target"; mode: TransferKind; paths: string[] }
  | { kind: "deleted" }
  | { kind: "edit-props"; paths: string[] }
  | { kind: "sync"; here: SyncEnd; pair?: PairView; compareNow?: boolean };

class Dialogs {
  current = $state<Dialog | null>(null);

  /**
   * Asks what happens to `names` (of `total` items) already at the destination: a conflict
   * rule, or null when the person cancels (or another dialog replaces this one).
   */
  conflict(names: string[], total: number): Promise<ConflictPolicy | null> {
    this.cancelQuestion();
    return new Promise((resolve) => {
      this.current = {
        kind: "conflict",
        names,
        total,
        answer: (choice) => {
          this.current = null;
          resolve(choice);
        },
      };
    });
  }

  /** Opens `d` (or closes the dialog open); a question it replaces counts as cancelled. */
  show(d: Dialog | null): void {
    if (d !== this.current) this.cancelQuestion();
    this.current = d;
  }

  /** A question left open would never be answered: it counts as cancelled. */
  private cancelQuestion(): void {
    if (this.current?.kind === "conflict") this.current.answer(null);
  }
}

export const dialogs = new Dialogs();
