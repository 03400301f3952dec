import { describe, expect, it } from "vitest";
import type { Remedy } from "../ipc/bindings";
import { advice, remedyText } from "./remedy";

// One of each kind the engine sends; a new kind fails `npm run check` in remedy.ts first.
const ALL: Remedy[] = [
  { kind: "choose_conflict" },
  { kind: "enter_keys", workspace: "photos" },
  { kind: "enter_keys", workspace: null },
  { kind: "choose_credentials", workspace: "photos" },
  { kind: "fix_region", region: "eu-west-1" },
  { kind: "fix_region", region: null },
  { kind: "set_public_url", workspace: "photos" },
  { kind: "restore_archive" },
  { kind: "list_workspaces" },
  { kind: "list_folder" },
  { kind: "list_jobs" },
  { kind: "cancel_job", job: "j1" },
  { kind: "retry_job", job: "j1" },
  { kind: "resume_job", job: "j1" },
];

describe("remedies in the app's words", () => {
  it("never show the CLI's commands or flags", () => {
    for (const remedy of ALL) {
      const text = remedyText(remedy);
      expect(text, remedy.kind).not.toMatch(/ferry |--|`/);
    }
  });

  it("name what the engine named", () => {
    expect(remedyText({ kind: "fix_region", region: "eu-west-1" })).toContain("eu-west-1");
    expect(remedyText({ kind: "enter_keys", workspace: "photos" })).toContain("photos");
  });

  it("join the hint and the remedy, leaving out what is empty", () => {
    expect(advice({ hint: "Check it.", remedy: { kind: "list_folder" } })).toBe(
      "Check it. Refresh the folder to see what is there.",
    );
    expect(advice({ hint: "Check it.", remedy: null })).toBe("Check it.");
    expect(advice({ hint: "", remedy: { kind: "check_arguments" } })).toBe("");
  });
});
