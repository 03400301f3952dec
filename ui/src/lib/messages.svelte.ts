// Toasts: what the app tells the person in passing (infos that fade, errors that stay).

import { FerryError, type ErrorReport_Serialize, type Remedy } from "../ipc";

export interface Toast {
  id: number;
  kind: "error" | "info";
  message: string;
  hint?: string;
  /** What to do about an error, offered as a button where the app can do it. */
  remedy?: Remedy | null;
}

class Messages {
  toasts = $state<Toast[]>([]);
  private nextId = 0;

  toast(kind: Toast["kind"], message: string, hint?: string, remedy?: Remedy | null): void {
    const id = ++this.nextId;
    this.toasts.push({ id, kind, message, hint, remedy });
    if (kind === "info") setTimeout(() => this.dismiss(id), 4000);
  }

  info(message: string, hint?: string): void {
    this.toast("info", message, hint);
  }

  /** Any failure, with what to do about it (the hint and the engine's remedy). */
  fail(e: unknown): void {
    const err = asFerryError(e);
    this.toast("error", err.message, err.advice, err.remedy);
  }

  dismiss(id: number): void {
    this.toasts = this.toasts.filter((t) => t.id !== id);
  }
}

/** Any failure as a FerryError, so every one is shown with a message. */
export function asFerryError(e: unknown): FerryError {
  if (e instanceof FerryError) return e;
  const report: ErrorReport_Serialize = {
    code: "failed",
    message: e instanceof Error ? e.message : String(e),
    hint: "",
    remedy: null,
  };
  return new FerryError(report);
}

export const messages = new Messages();
