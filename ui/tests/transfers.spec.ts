// Files dropped from the desktop, conflicts, and the transfer panel's job states.

import { expect, test, type Page } from "@playwright/test";
import {
  argsOf,
  center,
  dragEnter,
  dragLeave,
  dragOver,
  dropFiles,
  emptyArea,
  row,
  start,
} from "./helpers";

interface Request {
  kind: string;
  sources: { workspace: string | null; path: string }[];
  destination: { workspace: string | null; path: string };
  conflict: string | null;
}

async function requests(page: Page): Promise<Request[]> {
  return (await argsOf(page, "transfer_start")).map((a) => a.request as Request);
}

function job(page: Page, status?: string) {
  return page.locator(status ? `[data-testid=job][data-status=${status}]` : "[data-testid=job]");
}

test("a drag over the list or a folder row highlights where the files would go", async ({
  page,
}) => {
  await start(page);
  const list = page.getByTestId("file-list");
  const photos = row(page, "photos/");

  await dragOver(page, await emptyArea(page));
  await expect(list).toHaveClass(/\bdrop\b/);
  await expect(photos).not.toHaveClass(/\bdrop\b/);

  await dragOver(page, await center(photos));
  await expect(photos).toHaveClass(/\bdrop\b/);
  await expect(list).not.toHaveClass(/\bdrop\b/);

  // A file row is no target: the folder shown is.
  await dragOver(page, await center(row(page, "notes.txt")));
  await expect(list).toHaveClass(/\bdrop\b/);
  await expect(photos).not.toHaveClass(/\bdrop\b/);
  await expect(row(page, "notes.txt")).not.toHaveClass(/\bdrop\b/);

  await dragLeave(page);
  await expect(list).not.toHaveClass(/\bdrop\b/);
  await expect(page.locator(".drop")).toHaveCount(0);
});

test("a drag over a workspace with a key template shows where the file would land", async ({
  page,
}) => {
  await start(page);
  // No policy: nothing is renamed, so nothing is said.
  await dragEnter(page, ["/home/me/export/report.csv"], await center(row(page, "photos/")));
  await expect(row(page, "photos/")).toHaveClass(/\bdrop\b/);
  await expect(page.getByTestId("drop-preview")).toHaveCount(0);
  await dragLeave(page);
  await page.evaluate(() => {
    const f = window.fake.workspaces[0]!.form;
    f.key_template = "{prefix}/{entity}/{yyyy}/{mm}/{dd}/{name}";
    f.upload_gzip = true;
  });
  await dragEnter(page, ["/home/me/export/report.csv"], await center(row(page, "photos/")));
  await expect(page.getByTestId("drop-preview")).toContainText(
    "Lands at photos/export/2026/12/07/report.csv.gz",
  );
  expect((await argsOf(page, "drop_preview")).at(-1)).toEqual({
    workspace: "local",
    folder: "photos/",
    name: "report.csv",
    parent: "export",
  });
  await dragLeave(page);
  await expect(page.getByTestId("drop-preview")).toHaveCount(0);
});

test("files dropped on the list upload into the folder shown, or into the folder row under them", async ({
  page,
}) => {
  await start(page);
  await dropFiles(page, ["/home/me/Desktop/a.txt"], await emptyArea(page));
  await expect.poll(() => requests(page)).toHaveLength(1);
  expect((await requests(page))[0]).toEqual({
    kind: "copy",
    sources: [{ workspace: null, path: "/home/me/Desktop/a.txt" }],
    destination: { workspace: "local", path: "" },
    conflict: null,
    version: null,
  });
  await expect(page.getByTestId("toast")).toContainText("Started: a.txt");
  // The upload completes and the folder shows it.
  await expect(row(page, "a.txt")).toBeVisible();
  await expect(job(page, "completed")).toContainText("Upload a.txt");
  await expect(page.locator(".drop")).toHaveCount(0);

  await dropFiles(
    page,
    ["/home/me/Desktop/b.jpg", "/home/me/Desktop/c.jpg"],
    await center(row(page, "photos/")),
  );
  await expect.poll(() => requests(page)).toHaveLength(2);
  const second = (await requests(page))[1];
  expect(second?.destination).toEqual({ workspace: "local", path: "photos/" });
  expect(second?.sources.map((s) => s.path)).toEqual([
    "/home/me/Desktop/b.jpg",
    "/home/me/Desktop/c.jpg",
  ]);
  await expect(job(page, "completed")).toHaveCount(3);
  await row(page, "photos/").dblclick();
  await expect(row(page, "photos/b.jpg")).toBeVisible();
  await expect(row(page, "photos/c.jpg")).toBeVisible();

  // Inside a folder, the empty area is that folder.
  await dropFiles(page, ["/home/me/Desktop/d.txt"], await emptyArea(page));
  await expect.poll(() => requests(page)).toHaveLength(3);
  expect((await requests(page))[2]?.destination).toEqual({ workspace: "local", path: "photos/" });
});

test("a dropped name that is already there asks first; Replace overwrites, Cancel starts nothing", async ({
  page,
}) => {
  await start(page);
  const dialog = page.getByTestId("conflict-dialog");

  await dropFiles(page, ["/tmp/notes.txt"], await emptyArea(page));
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText("1 of 1 item already exists");
  await expect(dialog.locator("li")).toHaveText(["notes.txt"]);
  expect(await argsOf(page, "transfer_conflicts")).toHaveLength(1);
  expect(await requests(page)).toEqual([]);

  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(dialog).toHaveCount(0);
  expect(await requests(page)).toEqual([]);

  await dropFiles(page, ["/tmp/notes.txt", "/tmp/new.txt"], await emptyArea(page));
  await expect(dialog).toContainText("1 of 2 items already exist");
  await dialog.getByTestId("conflict-overwrite").click();
  await expect(dialog).toHaveCount(0);
  await expect.poll(() => requests(page)).toHaveLength(1);
  expect((await requests(page))[0]).toEqual({
    kind: "copy",
    sources: [
      { workspace: null, path: "/tmp/notes.txt" },
      { workspace: null, path: "/tmp/new.txt" },
    ],
    destination: { workspace: "local", path: "" },
    conflict: "overwrite",
    version: null,
  });

  // "Keep both" and "Skip existing" pass their choice on the same way.
  await dropFiles(page, ["/tmp/report.pdf"], await emptyArea(page));
  await dialog.getByTestId("conflict-rename").click();
  await expect.poll(() => requests(page)).toHaveLength(2);
  expect((await requests(page))[1]?.conflict).toBe("rename");
  await dropFiles(page, ["/tmp/archive.zip"], await emptyArea(page));
  await dialog.getByTestId("conflict-skip").click();
  await expect.poll(() => requests(page)).toHaveLength(3);
  expect((await requests(page))[2]?.conflict).toBe("skip");
});

test("a running upload can be paused, resumed and cancelled", async ({ page }) => {
  await start(page, { holdJobs: true });
  await page.getByTestId("upload-files").click();
  const running = job(page, "running");
  await expect(running).toHaveCount(1);
  await expect(running).toContainText("Upload picked.txt");
  await expect(running.getByTestId("job-status")).toHaveText("Running");
  await expect(running.getByTestId("job-bytes")).toHaveText("488 KB of 977 KB");
  await expect(running).toContainText("picked.txt");
  await expect(running.getByRole("progressbar")).toHaveAttribute("aria-valuenow", "50");
  expect((await requests(page))[0]?.sources).toEqual([
    { workspace: null, path: "/home/me/Desktop/picked.txt" },
  ]);
  const id = await running.getAttribute("data-job");

  await running.getByRole("button", { name: "Pause" }).click();
  const paused = job(page, "paused");
  await expect(paused).toHaveCount(1);
  await expect(paused.getByTestId("job-status")).toHaveText("Paused");
  await expect(paused.getByRole("button", { name: "Pause" })).toHaveCount(0);
  expect(await argsOf(page, "job_pause")).toEqual([{ id }]);

  await paused.getByRole("button", { name: "Resume" }).click();
  await expect(job(page, "running")).toHaveCount(1);
  expect(await argsOf(page, "job_resume")).toEqual([{ id }]);

  await job(page, "running").getByRole("button", { name: "Cancel" }).click();
  const cancelled = job(page, "cancelled");
  await expect(cancelled).toHaveCount(1);
  await expect(cancelled.getByTestId("job-status")).toHaveText("Cancelled");
  await expect(cancelled.getByRole("button")).toHaveCount(0);
  expect(await argsOf(page, "job_cancel")).toEqual([{ id }]);

  await page.getByRole("button", { name: "Clear finished" }).click();
  await expect(job(page)).toHaveCount(0);
});

test("running jobs are a queue: move one up or down, pause all and resume all", async ({
  page,
}) => {
  await start(page, { holdJobs: true });
  await page.getByTestId("upload-files").click();
  await expect(job(page, "running")).toHaveCount(1);
  await page.getByTestId("upload-files").click();
  await expect(job(page, "running")).toHaveCount(2);
  const ids = await job(page).evaluateAll((rows) => rows.map((r) => r.getAttribute("data-job")));
  const [first, second] = [ids[0] ?? null, ids[1] ?? null];
  const row = (id: string | null) => page.locator(`[data-testid=job][data-job="${id}"]`);
  // In queue order: the first started is on top and cannot go higher.
  await expect(row(first).getByRole("button", { name: "Move up" })).toBeDisabled();
  await expect(row(second).getByRole("button", { name: "Move down" })).toBeDisabled();

  await row(second).getByRole("button", { name: "Move up" }).click();
  expect(await argsOf(page, "job_shift")).toEqual([{ id: second, shift: "up" }]);
  await expect(row(second).getByRole("button", { name: "Move up" })).toBeDisabled();
  expect(
    await job(page).evaluateAll((rows) => rows.map((r) => r.getAttribute("data-job"))),
  ).toEqual([second, first]);

  await page.getByRole("button", { name: "Pause all" }).click();
  await expect(job(page, "paused")).toHaveCount(2);
  expect(await argsOf(page, "jobs_pause_all")).toEqual([{ paused: true }]);
  await page.getByRole("button", { name: "Resume all" }).click();
  await expect(job(page, "running")).toHaveCount(2);
  expect(await argsOf(page, "jobs_pause_all")).toEqual([{ paused: true }, { paused: false }]);
});

test("while a folder is still being counted the panel says its totals are still growing", async ({
  page,
}) => {
  await start(page, { holdJobs: true });
  await dropFiles(page, ["/home/me/Desktop/shoot"], await emptyArea(page));
  const running = job(page, "running");
  const id = (await running.getAttribute("data-job")) ?? "";
  await page.evaluate(
    (id) =>
      window.fake.job(id, { counting: true, files_done: 259, files_total: 829, eta_seconds: 3 }),
    id,
  );
  await expect(running.getByTestId("job-files")).toHaveText("259/829+ files");
  await expect(running).toContainText("still counting…");
  await expect(running, "no time left is guessed from a partial total").not.toContainText("left");

  await page.evaluate(
    (id) => window.fake.job(id, { counting: false, files_done: 300, files_total: 5000 }),
    id,
  );
  await expect(running.getByTestId("job-files")).toHaveText("300/5000 files");
  await expect(running).not.toContainText("still counting");
  await expect(running).toContainText("3 s left");
});

test("a job done with errors lists its failures and retries them", async ({ page }) => {
  await start(page, { holdJobs: true });
  await dropFiles(page, ["/home/me/Desktop/shoot"], await emptyArea(page));
  await expect(job(page, "running")).toHaveCount(1);
  const id = (await job(page, "running").getAttribute("data-job")) ?? "";
  await expect(job(page).getByRole("button", { name: "Retry failed" })).toHaveCount(0);

  await page.evaluate(
    (id) =>
      window.fake.job(id, {
        status: "completed_with_errors",
        files_total: 3,
        files_done: 2,
        files_failed: 1,
        failures: [{ item: "shoot/locked.bin", message: "permission denied (os error 13)" }],
      }),
    id,
  );
  const done = job(page, "completed_with_errors");
  await expect(done.getByTestId("job-status")).toHaveText("Done with errors");
  await expect(done).not.toContainText("permission denied");
  await done.getByRole("button", { name: "1 failed" }).click();
  await expect(done).toContainText("shoot/locked.bin: permission denied (os error 13)");

  await done.getByRole("button", { name: "Retry failed" }).click();
  await expect(job(page, "running")).toHaveCount(1);
  expect(await argsOf(page, "job_retry")).toEqual([{ id }]);

  await page.evaluate((id) => window.fake.finish(id), id);
  await expect(job(page, "completed").getByTestId("job-status")).toHaveText("Done");
});

test("what a job skipped on purpose is listed with why", async ({ page }) => {
  await start(page, { holdJobs: true });
  await dropFiles(page, ["/home/me/Desktop/site"], await emptyArea(page));
  await expect(job(page, "running")).toHaveCount(1);
  const id = (await job(page, "running").getAttribute("data-job")) ?? "";
  await page.evaluate(
    (id) =>
      window.fake.job(id, {
        status: "completed",
        files_total: 3,
        files_done: 2,
        files_skipped: 1,
        skipped: [
          {
            item: "site/current",
            message: "symbolic link to releases/v2: not copied (S3 has no links)",
          },
        ],
      }),
    id,
  );
  const done = job(page, "completed");
  await expect(done).not.toContainText("releases/v2");
  await done.getByTestId("job-skipped").click();
  await expect(done).toContainText("site/current: symbolic link to releases/v2");
});

test("a job that skipped every file says so, with a full bar", async ({ page }) => {
  await start(page, {
    jobs: [
      {
        id: "job-skipped-all",
        title: "Upload photos",
        status: "completed",
        files_total: 3,
        files_done: 0,
        files_skipped: 3,
        bytes_done: 0,
        bytes_skipped: 3_000_000,
        bytes_total: 3_000_000,
      },
    ],
  });
  const done = job(page, "completed");
  await expect(done.getByTestId("job-skipped")).toHaveText("3 skipped");
  await expect(done.getByTestId("job-files")).toHaveText("3/3 files");
  await expect(done.getByRole("progressbar")).toHaveAttribute("aria-valuenow", "100");
});

test("giving up on a job's failed items cancels it, and Clear finished then removes it", async ({
  page,
}) => {
  await start(page, { holdJobs: true });
  await dropFiles(page, ["/home/me/Desktop/shoot"], await emptyArea(page));
  const id = (await job(page, "running").getAttribute("data-job")) ?? "";
  await expect(job(page).getByRole("button", { name: "Give up" })).toHaveCount(0);
  await page.evaluate(
    (id) =>
      window.fake.job(id, {
        status: "failed",
        files_failed: 1,
        failures: [{ item: "shoot/big.raw", message: "the server answered 500" }],
      }),
    id,
  );
  await page.getByRole("button", { name: "Clear finished" }).click();
  await expect(job(page, "failed"), "a failed job waits for a decision").toHaveCount(1);

  await job(page, "failed").getByRole("button", { name: "Give up" }).click();
  expect(await argsOf(page, "job_cancel")).toEqual([{ id }]);
  const cancelled = job(page, "cancelled");
  await expect(cancelled.getByTestId("job-status")).toHaveText("Cancelled");
  await expect(cancelled.getByRole("button", { name: "Retry failed" })).toHaveCount(0);
  await page.getByRole("button", { name: "Clear finished" }).click();
  await expect(job(page)).toHaveCount(0);
});

test("uploads the server would not abort stay on show until aborting them works", async ({
  page,
}) => {
  await start(page, {
    jobs: [
      {
        id: "job-kept",
        title: "Upload disk.iso",
        status: "cancelled",
        files_total: 1,
        files_skipped: 1,
        kept_uploads: 1,
      },
    ],
  });
  await page.evaluate(() => (window.fake.refusedAborts = 1));
  const kept = job(page, "cancelled");
  await expect(kept.getByTestId("job-kept")).toHaveText("1 unfinished upload kept on the server");
  await page.getByRole("button", { name: "Clear finished" }).click();
  await expect(kept, "kept uploads wait for a decision").toHaveCount(1);

  const abort = kept.getByRole("button", { name: "Abort unfinished uploads" });
  await abort.click();
  const toast = page.getByTestId("toast");
  await expect(toast).toContainText("could not be aborted");
  // The engine's remedy, in the app's words; never the CLI's.
  await expect(toast).toContainText("Cancel the job in the transfer panel.");
  await expect(toast).not.toContainText("ferry ");
  await expect(kept.getByTestId("job-kept"), "still kept after a refusal").toHaveCount(1);

  // The remedy is a button in the app: it cancels the job again.
  const remedy = toast.getByTestId("toast-remedy");
  await expect(remedy).toHaveText("Cancel job");
  await remedy.click();
  await expect(toast).toHaveCount(0);
  await expect(kept.getByTestId("job-kept")).toHaveCount(0);
  await expect(abort).toHaveCount(0);
  expect(await argsOf(page, "job_cancel")).toEqual([{ id: "job-kept" }, { id: "job-kept" }]);
  await page.getByRole("button", { name: "Clear finished" }).click();
  await expect(job(page)).toHaveCount(0);
});

test("a job interrupted in an earlier run is offered for resuming at startup", async ({ page }) => {
  await start(page, {
    jobs: [
      {
        id: "job-old",
        title: "Upload holiday.mov",
        source: "/home/me/Videos/holiday.mov",
        destination: "local:holiday.mov",
        status: "interrupted",
        bytes_done: 300_000_000,
        bytes_total: 900_000_000,
        touches: ["local"],
      },
    ],
  });
  const old = page.locator("[data-testid=job][data-job=job-old]");
  await expect(old).toHaveAttribute("data-status", "interrupted");
  await expect(old.getByTestId("job-status")).toHaveText("Interrupted");
  await expect(old.getByTestId("job-bytes")).toHaveText("286 MB of 858 MB");
  await expect(page.getByTestId("toast")).toContainText("1 transfer was interrupted");
  await expect(page.getByRole("button", { name: /Transfers/ })).toContainText("1");

  await old.getByRole("button", { name: "Resume" }).click();
  expect(await argsOf(page, "job_resume")).toEqual([{ id: "job-old" }]);
  // It runs to the end (this fake completes jobs after a moment).
  await expect(old).toHaveAttribute("data-status", "completed");
  await expect(old.getByRole("button")).toHaveCount(0);
});

test("rows dragged out are handed to the app as files; their drop back in uploads nothing", async ({
  page,
}) => {
  await start(page);
  await row(page, "notes.txt").click();
  await row(page, "photos/").click({ modifiers: ["Control"] });
  await row(page, "notes.txt").dispatchEvent("dragstart");
  await expect
    .poll(() => page.evaluate(() => window.fake.draggedOut))
    .toEqual([{ workspace: "local", paths: ["photos/", "notes.txt"] }]);

  // Dropped back onto the window while the drag is ours: not an upload.
  await dropFiles(page, ["/home/me/Ferry/notes.txt"], await emptyArea(page));
  await page.evaluate(() => window.fake.endDrag("dropped"));
  expect(await requests(page)).toEqual([]);

  // A row not selected is dragged alone.
  await row(page, "notes.txt").click();
  await row(page, "photos/").dispatchEvent("dragstart");
  await expect
    .poll(() => page.evaluate(() => window.fake.draggedOut.at(-1)))
    .toEqual({ workspace: "local", paths: ["photos/"] });
  // Dropped before an S3 object's download was done: nothing handed over, and said so.
  await page.evaluate(() => window.fake.endDrag("not_ready"));
  await expect(page.getByTestId("toast").last()).toContainText(
    "Dropped before the download was done",
  );

  // Once it ended, files dropped from elsewhere upload again.
  await dropFiles(page, ["/tmp/elsewhere.txt"], await emptyArea(page));
  await expect.poll(async () => (await requests(page)).length).toBe(1);
});
