// What other apps hand Ferry (the desktop's "Open with Ferry"): an s3:// link opens its
// workspace at the object, a file opens Settings → Import with its preview. The backend keeps
// the file; the page only hears its name.

import { api, type OpenRequest } from "../ipc";
import { app } from "./app.svelte";
import { messages } from "./messages.svelte";

async function handle(request: OpenRequest, later: OpenRequest[]): Promise<void> {
  switch (request.kind) {
    case "link": {
      const target = request.target;
      if (target.kind === "workspace") {
        app.dialog = null;
        if (!(await app.openLink(target.workspace, target.path)))
          messages.toast(
            "error",
            `${request.url} is not there`,
            "Its folder is shown: the object may have been moved or deleted.",
          );
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
      // One file is previewed at a time: the last one handed.
      if (later.some((r) => r.kind === "import"))
        messages.toast(
          "error",
          `${request.file} was not imported`,
          "Ferry imports one file at a time; open it again after this one.",
        );
      else app.dialog = { kind: "settings", section: "import" };
      return;
    case "refused":
      messages.toast("error", `Ferry cannot open ${request.what}`, request.message);
  }
}

/** Takes what is waiting (at start, and whenever the backend says more came). */
export async function takeOpened(): Promise<void> {
  try {
    const requests = await api.openedTake();
    for (const [i, request] of requests.entries()) await handle(request, requests.slice(i + 1));
  } catch (e) {
    messages.fail(e);
  }
}

export function watchOpened(): Promise<() => void> {
  void takeOpened();
  return api.onOpenRequested(() => void takeOpened());
}
