// The transfer panel's jobs: every job the engine knows, updated live from its runner, and the
// controls the panel offers (pause, resume, cancel, retry, move in the queue, pause all).

import { api, type JobView, type Shift } from "../ipc";
import { messages } from "./messages.svelte";
import { advice } from "./remedy";

const LIVE = ["running", "paused", "queued"];

class Jobs {
  byId = $state<Record<string, JobView>>({});
  list = $derived(Object.values(this.byId).sort((a, b) => b.created.localeCompare(a.created)));
  watching = false;

  /**
   * Subscribes to the engine's updates; `onEnded` hears of each job that ends while watched
   * (to refresh a listing it changed).
   */
  async watch(onEnded: (job: JobView) => void): Promise<void> {
    try {
      const known = await api.jobsWatch((job) => this.update(job, onEnded));
      this.watching = true;
      for (const job of known) this.byId[job.id] = job;
      const interrupted = known.filter((j) => j.status === "interrupted").length;
      if (interrupted > 0) {
        messages.info(
          `${interrupted} transfer${interrupted === 1 ? " was" : "s were"} interrupted`,
          "Resume them in the transfer panel.",
        );
      }
    } catch (e) {
      messages.fail(e);
    }
  }

  private update(job: JobView, onEnded: (job: JobView) => void): void {
    const before = this.byId[job.id];
    this.byId[job.id] = job;
    const ended = !LIVE.includes(job.status) && (!before || LIVE.includes(before.status));
    if (!ended) return;
    onEnded(job);
    if (job.status === "failed" && job.error)
      messages.toast(
        "error",
        `${job.title} failed: ${job.error.message}`,
        advice(job.error),
        job.error.remedy,
      );
  }

  async act(action: "pause" | "resume" | "cancel" | "retry" | Shift, id: string): Promise<void> {
    try {
      if (action === "pause") await api.jobPause(id);
      else if (action === "resume") await api.jobResume(id);
      else if (action === "cancel") await api.jobCancel(id);
      else if (action === "retry") await api.jobRetry(id);
      else await api.jobShift(id, action);
    } catch (e) {
      messages.fail(e);
    }
  }

  /** Pauses (or resumes) every job running in this app. */
  async pauseAll(paused: boolean): Promise<void> {
    try {
      await api.jobsPauseAll(paused);
    } catch (e) {
      messages.fail(e);
    }
  }

  clearFinished(): void {
    for (const job of Object.values(this.byId)) {
      // A job whose uploads the server would not abort waits for a decision, as a failed one.
      if (["completed", "cancelled"].includes(job.status) && job.kept_uploads === 0)
        delete this.byId[job.id];
    }
  }
}

export const jobs = new Jobs();
