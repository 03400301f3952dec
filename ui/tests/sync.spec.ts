// Sync in the app: the dialog, the plan grouped for review, unticking, conflicts decided one
// by one or for all, Run sending exactly what was reviewed, what changed since reported, saved
// pairs (with a delete limit that stops a run for review), and the prices the estimate uses.

import { expect, test, type Page } from "@playwright/test";
import { argsOf, row, start } from "./helpers";

const files: [string, string, number][] = [
  // photos/cat.jpg (245,000) and photos/dog.jpg are the fake's own.
  ["local", "photos/both.jpg", 700],
  ["local", "photos/same.txt", 50],
  ["demo-s3", "backup/cat.jpg", 1000],
  ["demo-s3", "backup/both.jpg", 800],
  ["demo-s3", "backup/old.jpg", 123],
  ["demo-s3", "backup/same.txt", 50],
];

async function openOnPhotos(page: Page) {
  await row(page, "photos/").click({ button: "right" });
  await page.getByTestId("menu-sync").click();
  const dialog = page.getByTestId("sync-dialog");
  await expect(dialog.getByTestId("sync-here")).toHaveText("Local: /photos/");
  await dialog.getByTestId("sync-workspace").selectOption("demo-s3");
  await dialog.getByTestId("sync-folder").fill("backup");
  return dialog;
}

function group(page: Page, key: string) {
  return page.locator(`[data-testid=plan-group][data-group=${key}]`);
}

function planRow(page: Page, destination: string) {
  return page.locator(`[data-testid=plan-row][data-destination="${destination}"]`);
}

test("compare shows the plan grouped; untick a delete, decide a conflict, run exactly that", async ({
  page,
}) => {
  await start(page, { files });
  await page.evaluate(() => window.fake.sync.conflicts.add("both.jpg"));
  const dialog = await openOnPhotos(page);
  await expect(dialog.getByTestId("sync-says")).toContainText(
    "Makes Demo S3: /backup/ match Local: /photos/",
  );
  // Deleting is off until asked for, and red when on.
  const del = dialog.getByTestId("sync-delete");
  await expect(del).not.toBeChecked();
  await del.check();
  await expect(dialog.locator("label.danger-on")).toContainText("Delete files at the destination");
  await dialog.getByTestId("sync-compare").click();

  await expect(dialog.getByTestId("plan-summary")).toHaveText(
    "1 new · 1 changed · 1 to delete · 1 conflicts · 1 unchanged",
  );
  const order = await dialog
    .getByTestId("plan-group")
    .evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.group));
  expect(order).toEqual(["new", "changed", "delete", "conflict", "unchanged"]);
  await expect(group(page, "new").getByTestId("plan-row")).toHaveText(/dog\.jpg/);
  await expect(group(page, "changed").getByTestId("plan-row")).toHaveText(/cat\.jpg/);
  await expect(group(page, "delete").getByTestId("plan-row")).toHaveText(/old\.jpg/);
  await expect(group(page, "unchanged").getByTestId("plan-group-count")).toHaveText("1");
  // Nothing changed by comparing.
  expect(await page.evaluate(() => window.fake.files.get("demo-s3")!.has("backup/dog.jpg"))).toBe(
    false,
  );

  // A conflict nobody decided holds the run.
  await expect(dialog.getByTestId("plan-waiting")).toContainText("1 conflict(s) to decide");
  await expect(dialog.getByTestId("sync-run")).toBeDisabled();
  await expect(dialog.getByTestId("sync-run")).toHaveText("Run 4");

  // Untick the delete: the estimate follows.
  await expect(dialog.getByTestId("plan-estimate")).toContainText("about 5 request(s)");
  await planRow(page, "old.jpg").getByTestId("plan-tick").uncheck();
  await expect(dialog.getByTestId("plan-estimate")).toContainText("about 4 request(s)");
  await expect(planRow(page, "old.jpg")).toHaveClass(/off/);

  await planRow(page, "both.jpg").getByTestId("plan-choice").selectOption("rename");
  await expect(dialog.getByTestId("plan-waiting")).toHaveCount(0);
  await expect(dialog.getByTestId("sync-run")).toHaveText("Run 3");
  await dialog.getByTestId("sync-run").click();
  await expect(dialog).toHaveCount(0);
  await expect(page.getByTestId("toast").first()).toContainText("Sync started: 3 to carry");

  const [run] = await argsOf(page, "sync_run");
  const plan = await page.evaluate(() => window.fake.calls.find((c) => c.cmd === "sync_plan"));
  const actions = (plan!.result as { actions: { index: number; destination: string }[] }).actions;
  const at = (d: string) => actions.find((a) => a.destination === d)!.index;
  expect(run!.review).toEqual({
    leave_out: [at("old.jpg")],
    choices: [{ index: at("both.jpg"), resolution: "rename" }],
  });
  // The job carried it out: new and changed sent, both kept, the unticked delete not done.
  await expect
    .poll(() =>
      page.evaluate(() =>
        ["backup/dog.jpg", "backup/both (1).jpg", "backup/old.jpg", "backup/both.jpg"].map((k) =>
          window.fake.files.get("demo-s3")!.has(k),
        ),
      ),
    )
    .toEqual([true, true, true, true]);
  expect(
    await page.evaluate(() => window.fake.files.get("demo-s3")!.get("backup/cat.jpg")!.size),
  ).toBe(245_000);
});

test("conflicts decided for all at once; what changed after the comparison is reported, not done", async ({
  page,
}) => {
  await start(page, { files });
  await page.evaluate(() => {
    window.fake.sync.conflicts.add("both.jpg");
    window.fake.sync.changedSince.add("cat.jpg");
  });
  const dialog = await openOnPhotos(page);
  await dialog.getByTestId("sync-compare").click();
  await dialog.getByTestId("plan-group-choice").selectOption("skip");
  await expect(planRow(page, "both.jpg").getByTestId("plan-choice")).toHaveValue("skip");
  await dialog.getByTestId("sync-run").click();
  const result = dialog.getByTestId("sync-result");
  await expect(result).toContainText("Started: 1 to carry.");
  await expect(result).toContainText("1 conflict(s) left as the destination has them.");
  await expect(dialog.getByTestId("sync-held")).toHaveText(
    /cat\.jpg — changed since the plan was made: review it again/,
  );
  await dialog.getByRole("button", { name: "Close" }).last().click();
  await expect(dialog).toHaveCount(0);
});

test("with a rule other than ask, each conflict shows the rule and Run takes it", async ({
  page,
}) => {
  await start(page, { files });
  await page.evaluate(() => window.fake.sync.conflicts.add("both.jpg"));
  const dialog = await openOnPhotos(page);
  await dialog.getByTestId("sync-conflict").selectOption("overwrite");
  await dialog.getByTestId("sync-compare").click();
  const choice = planRow(page, "both.jpg").getByTestId("plan-choice");
  await expect(choice).toHaveValue("overwrite");
  await expect(choice.locator("option:checked")).toContainText("(the rule)");
  await expect(dialog.getByTestId("plan-waiting")).toHaveCount(0);
  await expect(dialog.getByTestId("sync-run")).toBeEnabled();
  // Keep the destination's, for all: the conflict is not among what runs.
  await dialog.getByTestId("plan-group-choice").selectOption("skip");
  await expect(dialog.getByTestId("sync-run")).toHaveText("Run 2");
});

test("direction swaps, and the patterns' live count follows the typing", async ({ page }) => {
  await start(page, { files });
  const dialog = await openOnPhotos(page);
  await dialog.getByTestId("sync-direction").click();
  await expect(dialog.getByTestId("sync-says")).toContainText(
    "Makes Local: /photos/ match Demo S3: /backup/",
  );
  await dialog.getByTestId("sync-direction").click();
  await dialog.getByTestId("sync-include").fill("*.jpg");
  await expect(dialog.getByTestId("sync-count")).toContainText("carry 3 of 4 files");
  await dialog.getByTestId("sync-exclude").fill("dog*\n\n");
  await expect(dialog.getByTestId("sync-count")).toContainText("carry 2 of 4 files");
  const counts = await argsOf(page, "sync_filter_count");
  expect(counts.at(-1)).toEqual({
    source: { workspace: "local", path: "photos/" },
    include: ["*.jpg"],
    exclude: ["dog*"],
  });
  await dialog.getByTestId("sync-compare").click();
  await expect(dialog.getByTestId("plan-summary")).toHaveText(
    "0 new · 2 changed · 0 to delete · 0 conflicts · 0 unchanged",
  );
  // Cancel drops the plan kept for review.
  await dialog.getByRole("button", { name: "Cancel" }).click();
  expect((await argsOf(page, "sync_forget")).length).toBe(1);
});

test("a saved pair is listed, runs now, and stops for review above its delete limit", async ({
  page,
}) => {
  await start(page, { files });
  const dialog = await openOnPhotos(page);
  await dialog.getByTestId("sync-delete").check();
  await dialog.getByTestId("sync-save-pair").click();
  await dialog.getByTestId("pair-name").fill("Photos backup");
  await dialog.getByTestId("pair-every").fill("15");
  await dialog.getByTestId("pair-max-deletes").fill("0");
  await dialog.getByTestId("pair-save").click();
  const [saved] = await argsOf(page, "sync_pair_save");
  expect(saved).toMatchObject({ name: "Photos backup", everyMinutes: 15, maxDeletes: 0 });
  await dialog.getByRole("button", { name: "Cancel" }).click();

  const pair = page.locator("[data-testid=pair][data-pair='Photos backup']");
  await expect(pair).toContainText("every 15 min");
  await expect(pair.getByTestId("pair-last")).toHaveText("Not run yet");
  await pair.click();
  await page.getByTestId("pair-run").click();
  await expect(page.getByTestId("toast").first()).toContainText(
    "Photos backup stopped for review: it would delete 1 file(s), more than this pair's limit of 0",
  );
  await expect(pair.getByTestId("pair-last")).toContainText("needs review");
  await expect(pair.getByTestId("pair-last")).toHaveClass(/error-text/);
  expect(await page.evaluate(() => window.fake.files.get("demo-s3")!.has("backup/old.jpg"))).toBe(
    true,
  );

  // Compare opens the plan for review, with the pair's settings.
  await pair.click();
  await page.getByTestId("pair-compare").click();
  const review = page.getByTestId("sync-dialog");
  await expect(review.getByTestId("plan-summary")).toContainText("1 to delete");
  await review.getByRole("button", { name: "Cancel" }).click();

  // Removed from the list.
  await pair.click();
  await page.getByTestId("pair-remove").click();
  await expect(pair).toHaveCount(0);
});

test("the estimate uses the prices table, which the person can edit", async ({ page }) => {
  await start(page, { files });
  const dialog = await openOnPhotos(page);
  await dialog.getByTestId("sync-compare").click();
  await expect(dialog.getByTestId("plan-estimate")).toContainText("estimated $0");
  await dialog.getByTestId("prices-edit").click();
  const custom = dialog.locator("[data-testid=price-row][data-provider=custom]");
  await custom.locator("[data-field=write_per_1000]").fill("5");
  await dialog.getByTestId("prices-save").click();
  const [saved] = await argsOf(page, "prices_save");
  const rows = saved!.rows as {
    provider: string;
    custom: boolean;
    price: { write_per_1000: number };
  }[];
  expect(rows.find((r) => r.provider === "custom")).toMatchObject({
    custom: true,
    price: { write_per_1000: 5 },
  });
  expect(rows.find((r) => r.provider === "aws")?.custom).toBe(false);
  // 3 writes (+1 list) at $5 per 1,000.
  await expect(dialog.getByTestId("plan-estimate")).toContainText("estimated $0.020");
});
