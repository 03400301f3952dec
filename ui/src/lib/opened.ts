// What other apps hand Ferry (the desktop's "Open with Ferry"): an s3:// link opens its
// workspace at the object, a file opens Settings → Import with its preview. The backend keeps
// the file; the page only hears its name.

import { api, type OpenRequest } from "../ipc";
import { app } from "./app.svelte";
import { messages } from "./messages.svelte";

async function handle(request: OpenRequest): Promise<void> {
  switch (request.kind) {
    case "link": {
      const target = request.target;
      if (target.kind === "workspace") {
        app.dialog = null;
        await app.openLink(target.workspace, target.path);
      } else {
        messages.toast(
          "error",
          `No workspace reaches ${request.url}`,
          `Add a workspace for the bucket ${target.bucket} (Settings → Add workspace), then open the link again.`,
        );
        app.dialog = { kind: "settings", section: "new" };
      }
      return;
    }
    case "import":
      app.dialog = { kind: "settings", section: "import" };
      return;
    case "refused":
      messages.toast("error", `Ferry cannot open ${request.what}`, request.message);
  }
}

/** Takes what is waiting (at start, and whenever the backend says more came). */
export async function takeOpened(): Promise<void> {
  try {
    for (const request of await api.openedTake()) await handle(request);
  } catch (e) {
    messages.fail(e);
  }
}

export function watchOpened(): Promise<() => void> {
  void takeOpened();
  return api.onOpenRequested(() => void takeOpened());
}
