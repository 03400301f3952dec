// Updates of Ferry itself, shared by the banner (every window) and Settings → Updates. The
// backend asks the feed the settings name and installs only after its own native confirmation.

import { api, FerryError, type UpdateStatus } from "../ipc";
import { asFerryError } from "./messages.svelte";

class Updates {
  status = $state<UpdateStatus | null>(null);
  error = $state<FerryError | null>(null);
  checking = $state(false);
  installing = $state(false);
  /** "Later": the banner stays away until the next check finds something. */
  dismissed = $state(false);
  checkedAt = $state<Date | null>(null);

  /** `onStart`: a window's own check as it opens (quiet when it fails: Settings shows why). */
  async check(onStart: boolean): Promise<void> {
    this.checking = true;
    this.error = null;
    try {
      this.status = await api.updateCheck(onStart);
      if (this.status.state !== "off" && this.status.state !== "manual") {
        this.checkedAt = new Date();
      }
      this.dismissed = false;
    } catch (e) {
      this.error = asFerryError(e);
    } finally {
      this.checking = false;
    }
  }

  /** Installs the offered version; on success the app restarts and this never returns. */
  async install(): Promise<void> {
    if (this.status?.state !== "available") return;
    this.installing = true;
    this.error = null;
    try {
      await api.updateInstall(this.status.version);
    } catch (e) {
      this.error = asFerryError(e);
    } finally {
      this.installing = false;
    }
  }
}

export const updates = new Updates();
