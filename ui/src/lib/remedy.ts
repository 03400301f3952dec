// What to do about an error, in the app's terms. The engine says what (a `Remedy`); the CLI
// says it as a command, the app as the place in its windows where the fix lives.

import type { Remedy } from "../ipc/bindings";

export function remedyText(remedy: Remedy | null | undefined): string {
  if (!remedy) return "";
  switch (remedy.kind) {
    case "choose_conflict":
      return "Choose Replace, Skip or Keep both when asked, or set what happens to existing files in Settings → Transfers.";
    case "enter_keys":
      return remedy.workspace
        ? `Open Settings, choose workspace “${remedy.workspace}” and enter its access key and secret.`
        : "Open Settings, choose the workspace and enter its access key and secret.";
    case "choose_credentials":
      return `Open Settings, choose workspace “${remedy.workspace}” and say where its keys come from.`;
    case "fix_region":
      return remedy.region
        ? `Open Settings and set the workspace's region to ${remedy.region}.`
        : "Open Settings and set the workspace's region to the bucket's.";
    case "set_public_url":
      return `Open Settings and add workspace “${remedy.workspace}”'s public or CDN address.`;
    case "restore_archive":
      return "Open its Properties and choose Restore from archive; read it once the copy is there.";
    case "list_workspaces":
      return "The sidebar lists your workspaces.";
    case "list_folder":
      return "Refresh the folder to see what is there.";
    case "list_jobs":
      return "The transfer panel lists the jobs.";
    case "cancel_job":
      return "Cancel the job in the transfer panel.";
    case "retry_job":
      return "Retry the job in the transfer panel.";
    case "resume_job":
      return "Resume the job in the transfer panel.";
    case "check_arguments":
      return "";
  }
}

/** The hint and the remedy, as one line of advice. */
export function advice(e: { hint: string; remedy?: Remedy | null }): string {
  return [e.hint, remedyText(e.remedy)].filter(Boolean).join(" ");
}
