// Versions in an S3 workspace whose bucket keeps them: the Versions tab of Properties (download
// one, restore, delete one with a confirmation naming it), the delete dialog saying what can be undone, and
// bringing deleted files back.

import { expect, test } from "@playwright/test";
import { argsOf, row, start } from "./helpers";

async function openDemo(page: import("@playwright/test").Page): Promise<void> {
  await page.locator("[data-testid=workspace][data-workspace=demo-s3]").click();
  await expect(row(page, "report.txt")).toBeVisible();
}

/** Properties of a file (a double-click shows its preview): select, then Alt+Enter. */
async function properties(page: import("@playwright/test").Page, path: string): Promise<void> {
  await row(page, path).click();
  await page.keyboard.press("Alt+Enter");
}

test("an earlier version is restored from the Versions tab; one is deleted after naming it", async ({
  page,
}) => {
  await start(page, {
    versioning: { "demo-s3": "enabled" },
    files: [
      ["demo-s3", "report.txt", 100],
      ["demo-s3", "report.txt", 250],
    ],
  });
  await openDemo(page);
  await properties(page, "report.txt");
  const dialog = page.getByTestId("properties-dialog");
  await dialog.getByTestId("versions-tab").click();
  const versions = dialog.getByTestId("version");
  await expect(versions).toHaveCount(2);
  await expect(versions.nth(0)).toContainText("Current");
  await expect(versions.nth(0)).toContainText("250 B");
  await expect(versions.nth(0).getByRole("button", { name: "Restore" })).toHaveCount(0);

  const older = versions.nth(1);
  const id = await older.getAttribute("data-version");
  // Download… takes that version, not the current object, into the chosen folder.
  await older.getByRole("button", { name: "Download…" }).click();
  expect((await argsOf(page, "transfer_start")).map((a) => a.request)).toEqual([
    {
      kind: "copy",
      sources: [{ workspace: "demo-s3", path: "report.txt" }],
      destination: { workspace: null, path: "/home/me/Downloads" },
      conflict: null,
      version: id,
    },
  ]);
  await expect(page.getByTestId("job").first()).toContainText("Download report.txt (version");

  await older.getByRole("button", { name: "Restore" }).click();
  await expect(versions).toHaveCount(3);
  expect(await argsOf(page, "version_restore")).toEqual([
    { workspace: "demo-s3", path: "report.txt", version: id },
  ]);
  await expect(versions.nth(0)).toContainText("100 B");
  await expect(row(page, "report.txt")).toContainText("100 B");

  // Deleting one version asks first, naming it; Keep leaves it.
  const last = versions.nth(2);
  await last.getByRole("button", { name: "Delete version" }).click();
  await expect(last).toContainText("for good?");
  await expect(dialog).toContainText(
    `id ${await last.getAttribute("data-version")}) goes for good`,
  );
  await last.getByRole("button", { name: "Keep" }).click();
  expect(await argsOf(page, "version_delete")).toEqual([]);
  await last.getByRole("button", { name: "Delete version" }).click();
  await last.getByRole("button", { name: "Delete version" }).click();
  await expect(versions).toHaveCount(2);
  expect((await argsOf(page, "version_delete")).length).toBe(1);
});

test("a delete in a versioned bucket says it stays recoverable, and Deleted… brings it back", async ({
  page,
}) => {
  await start(page, {
    versioning: { "demo-s3": "enabled" },
    files: [["demo-s3", "report.txt", 100]],
  });
  await openDemo(page);
  await row(page, "report.txt").click();
  await page.getByTestId("delete").click();
  const confirm = page.getByTestId("delete-dialog");
  await expect(confirm.getByTestId("delete-recoverable")).toBeVisible();
  await confirm.getByTestId("confirm-delete").click();
  await expect(row(page, "report.txt")).toHaveCount(0);

  await page.getByTestId("show-deleted").click();
  const deleted = page.getByTestId("deleted-dialog");
  await expect(deleted.getByTestId("deleted-item")).toHaveCount(1);
  await deleted.getByRole("button", { name: "Undelete" }).click();
  await expect(deleted.getByTestId("nothing-deleted")).toBeVisible();
  expect(await argsOf(page, "undelete")).toEqual([{ workspace: "demo-s3", paths: ["report.txt"] }]);
  await expect(row(page, "report.txt")).toBeVisible();
});

test("a delete where the bucket keeps no versions says it cannot be undone", async ({ page }) => {
  await start(page, { files: [["demo-s3", "report.txt", 100]] });
  await openDemo(page);
  await row(page, "report.txt").click();
  await page.getByTestId("delete").click();
  await expect(page.getByTestId("delete-dialog").getByTestId("delete-permanent")).toHaveText(
    "This cannot be undone.",
  );
  expect(await argsOf(page, "versioning_get")).toEqual([{ workspace: "demo-s3" }]);
});

test("the workspace editor shows the bucket's versioning and turns it on after saying what it means", async ({
  page,
}) => {
  await start(page);
  await page.getByTestId("open-settings").click();
  await page.locator("[data-testid=settings-ws][data-workspace=demo-s3]").click();
  const row = page.getByTestId("versioning");
  await expect(row.getByTestId("versioning-state")).toContainText("Off");
  await row.getByRole("button", { name: "Turn on…" }).click();
  await expect(row.getByTestId("versioning-confirm")).toContainText("take space");
  expect(await argsOf(page, "versioning_set")).toEqual([]);
  await row.getByRole("button", { name: "Turn on", exact: true }).click();
  await expect(row.getByTestId("versioning-state")).toContainText("On:");
  expect(await argsOf(page, "versioning_set")).toEqual([{ workspace: "demo-s3", on: true }]);
});

test("an archived object says so in Properties and is restored for the days and speed chosen", async ({
  page,
}) => {
  await start(page, {
    files: [["demo-s3", "report.txt", 100]],
    archived: [["demo-s3", "report.txt"]],
  });
  await openDemo(page);
  await expect(row(page, "report.txt")).toContainText("GLACIER");
  // Marked in the list, saying what to do; other objects are not.
  const mark = row(page, "report.txt").getByTestId("archived");
  await expect(mark).toHaveText("Archived");
  await expect(mark).toHaveAttribute("title", /restore it .*before reading it/);
  await expect(page.getByTestId("archived")).toHaveCount(1);
  await properties(page, "report.txt");
  const archive = page.getByTestId("properties-dialog").getByTestId("archive");
  await expect(archive).toHaveAttribute("data-state", "archived");
  await archive.getByTestId("archive-days").fill("3");
  await archive.getByTestId("archive-tier").selectOption("bulk");
  await archive.getByRole("button", { name: "Restore from archive" }).click();
  await expect(archive).toHaveAttribute("data-state", "restoring");
  expect(await argsOf(page, "archive_restore")).toEqual([
    { workspace: "demo-s3", path: "report.txt", days: 3, tier: "bulk" },
  ]);
});

test("an object's tags are edited in Properties and saved all at once", async ({ page }) => {
  await start(page, { files: [["demo-s3", "report.txt", 100]] });
  await openDemo(page);
  await properties(page, "report.txt");
  const dialog = page.getByTestId("properties-dialog");
  await dialog.getByTestId("tags-tab").click();
  const tags = dialog.getByTestId("tags");
  await expect(tags).toContainText("No tags.");
  await tags.getByRole("button", { name: "Add tag" }).click();
  await tags.getByLabel("Tag key").fill("team");
  await tags.getByLabel("Tag value").fill("ops");
  await tags.getByRole("button", { name: "Add tag" }).click();
  await tags.getByLabel("Tag key").nth(1).fill("aws:nope");
  await tags.getByTestId("save-tags").click();
  await expect(page.getByTestId("toast")).toContainText("AWS's own");
  await tags.getByRole("button", { name: "Remove tag" }).nth(1).click();
  await tags.getByTestId("save-tags").click();
  await expect(page.getByTestId("toast").last()).toContainText("Tags saved");
  expect((await argsOf(page, "tags_set")).at(-1)).toEqual({
    workspace: "demo-s3",
    path: "report.txt",
    tags: { team: "ops" },
  });
});

test("Edit properties changes the selection as jobs, sending only what was filled in", async ({
  page,
}) => {
  await start(page, {
    files: [
      ["demo-s3", "report.txt", 100],
      ["demo-s3", "site/index.html", 100],
    ],
  });
  await openDemo(page);
  await row(page, "report.txt").click();
  await row(page, "site/").click({ modifiers: ["Control"] });
  await row(page, "report.txt").click({ button: "right" });
  await page.getByTestId("menu-edit-props").click();
  const dialog = page.getByTestId("edit-props-dialog");
  await dialog.getByLabel("Cache-Control").fill("max-age=60");
  await dialog.getByLabel("Storage class").selectOption("STANDARD_IA");
  await dialog.getByTestId("apply-props").click();
  await expect(page.getByTestId("toast").last()).toContainText(
    "Changing the properties of 2 items",
  );
  // Each is a job in the transfer panel, with its progress.
  const jobs = page.getByTestId("job");
  await expect(jobs.filter({ hasText: "Edit properties of report.txt" })).toHaveCount(1);
  await expect(jobs.filter({ hasText: "Edit properties of site" })).toHaveCount(1);
  expect(await argsOf(page, "properties_edit")).toEqual([
    {
      workspace: "demo-s3",
      paths: ["site/", "report.txt"],
      edit: {
        content_type: null,
        cache_control: "max-age=60",
        content_disposition: null,
        storage_class: "STANDARD_IA",
        sse: null,
        metadata: {},
        remove_metadata: [],
      },
    },
  ]);
});
