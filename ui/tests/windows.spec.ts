// Several windows: Ctrl+N and "Open in new window" (on a folder, on a workspace) ask the app for
// another window on that place; a window opened on a place starts there.

import { expect, test } from "@playwright/test";
import { row, start } from "./helpers";

const files: [string, string, number][] = [
  ["demo-s3", "photos/2024/a.jpg", 100],
  ["demo-s3", "notes.txt", 10],
];

test("Ctrl+N and Open in new window ask for a window on the place shown or chosen", async ({
  page,
}) => {
  await start(page, { files });
  await page.locator("[data-testid=workspace][data-workspace=demo-s3]").click();
  await row(page, "photos/").dblclick();
  await expect(row(page, "photos/2024/")).toBeVisible();
  await page.keyboard.press("Control+n");
  await expect
    .poll(() => page.evaluate(() => window.fake.windows))
    .toEqual([{ workspace: "demo-s3", path: "photos/" }]);

  await row(page, "photos/2024/").click({ button: "right" });
  await page.getByTestId("menu-new-window").click();
  await page.locator("[data-testid=workspace][data-workspace=local]").click({ button: "right" });
  await page.getByTestId("workspace-new-window").click();
  expect(await page.evaluate(() => window.fake.windows)).toEqual([
    { workspace: "demo-s3", path: "photos/" },
    { workspace: "demo-s3", path: "photos/2024/" },
    { workspace: "local", path: "" },
  ]);
  // The window itself stays where it was.
  await expect(page.getByTestId("pathbar")).toContainText("photos");
});

test("a window opened on a folder starts there, titled with its workspace and path", async ({
  page,
}) => {
  await page.addInitScript(() => {
    window.__FERRY_START__ = { workspace: "demo-s3", path: "photos/2024/" };
  });
  await start(page, { files });
  await expect(row(page, "photos/2024/a.jpg")).toBeVisible();
  await expect(page).toHaveTitle("Demo S3 — /photos/2024/ — Ferry");
});
