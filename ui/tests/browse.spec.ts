// Browsing: opening folders, sorting, filtering, selecting, and a folder too big to hold.

import { expect, test } from "@playwright/test";
import { argsOf, row, rows, scroller, shownPaths, start } from "./helpers";

test("the default workspace opens; folders open with Enter or a double-click; Backspace goes up", async ({
  page,
}) => {
  await start(page);
  await expect(page.locator("[data-testid=workspace][data-workspace=local]")).toHaveClass(/active/);
  expect(await argsOf(page, "list_open")).toEqual([{ workspace: "local", path: "" }]);
  expect(await shownPaths(page)).toEqual(["photos/", "archive.zip", "notes.txt", "report.pdf"]);
  const pathbar = page.getByTestId("pathbar");
  await expect(pathbar.getByRole("button", { name: "photos" })).toHaveCount(0);

  // Enter on the selected folder.
  await row(page, "photos/").click();
  await page.keyboard.press("Enter");
  await expect(rows(page)).toHaveCount(2);
  await expect(row(page, "photos/cat.jpg")).toBeVisible();
  await expect(row(page, "photos/dog.jpg")).toBeVisible();
  await expect(pathbar.getByRole("button", { name: "photos" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Up", exact: true })).toBeEnabled();
  expect((await argsOf(page, "list_open")).at(-1)).toEqual({ workspace: "local", path: "photos/" });

  await page.keyboard.press("Backspace");
  await expect(row(page, "notes.txt")).toBeVisible();
  await expect(rows(page)).toHaveCount(4);
  await expect(pathbar.getByRole("button", { name: "photos" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Up", exact: true })).toBeDisabled();

  // A double-click, then the crumb back to the top.
  await row(page, "photos/").dblclick();
  await expect(row(page, "photos/cat.jpg")).toBeVisible();
  await expect(pathbar).toContainText("photos");
  await pathbar.getByRole("button", { name: "Local" }).click();
  await expect(row(page, "report.pdf")).toBeVisible();

  // Another workspace from the sidebar.
  await page.locator("[data-testid=workspace][data-workspace=demo-s3]").click();
  await expect(row(page, "readme.md")).toBeVisible();
  await expect(rows(page)).toHaveCount(1);
  await expect(pathbar.getByRole("button", { name: "Demo S3" })).toBeVisible();
});

test("sorting by size both ways keeps folders first and updates aria-sort", async ({ page }) => {
  await start(page);
  const name = page.getByTestId("sort-name");
  const size = page.getByTestId("sort-size");
  await expect(name).toHaveAttribute("aria-sort", "ascending");
  await expect(size).toHaveAttribute("aria-sort", "none");

  // Size starts with the biggest.
  await size.click();
  await expect(size).toHaveAttribute("aria-sort", "descending");
  await expect(name).toHaveAttribute("aria-sort", "none");
  await expect
    .poll(() => shownPaths(page))
    .toEqual(["photos/", "archive.zip", "report.pdf", "notes.txt"]);

  await size.click();
  await expect(size).toHaveAttribute("aria-sort", "ascending");
  await expect
    .poll(() => shownPaths(page))
    .toEqual(["photos/", "notes.txt", "report.pdf", "archive.zip"]);

  await name.click();
  await expect(name).toHaveAttribute("aria-sort", "ascending");
  await expect(size).toHaveAttribute("aria-sort", "none");
  await expect
    .poll(() => shownPaths(page))
    .toEqual(["photos/", "archive.zip", "notes.txt", "report.pdf"]);
});

test("the filter narrows the rows and clearing it brings them back", async ({ page }) => {
  await start(page);
  const filter = page.getByTestId("filter");
  const count = page.getByTestId("count");
  await expect(rows(page)).toHaveCount(4);

  await filter.fill("rep");
  await expect(rows(page)).toHaveCount(1);
  await expect(row(page, "report.pdf")).toBeVisible();
  await expect(count).toHaveText("1 item");

  // Case does not matter; every word must match.
  await filter.fill("O");
  await expect.poll(() => shownPaths(page)).toEqual(["photos/", "notes.txt", "report.pdf"]);
  await filter.fill("o txt");
  await expect.poll(() => shownPaths(page)).toEqual(["notes.txt"]);

  await filter.fill("nothing-like-this");
  await expect(rows(page)).toHaveCount(0);
  await expect(page.getByTestId("empty")).toContainText("nothing-like-this");

  await filter.fill("");
  await expect(rows(page)).toHaveCount(4);
  await expect(count).toHaveText("4 items");
});

test("click, ctrl+click, shift+click and Ctrl+A select the right rows", async ({ page }) => {
  await start(page);
  const count = page.getByTestId("count");
  const selected = () =>
    page
      .locator("[data-testid=row][aria-selected=true]")
      .evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.path).sort());

  // Rows by name: photos/, archive.zip, notes.txt, report.pdf.
  await row(page, "archive.zip").click();
  await expect(count).toHaveText("4 items, 1 selected");
  await expect(row(page, "archive.zip")).toHaveAttribute("aria-selected", "true");
  await expect(row(page, "archive.zip")).toHaveClass(/selected/);

  await row(page, "report.pdf").click({ modifiers: ["Shift"] });
  await expect(count).toHaveText("4 items, 3 selected");
  expect(await selected()).toEqual(["archive.zip", "notes.txt", "report.pdf"]);

  await row(page, "notes.txt").click({ modifiers: ["ControlOrMeta"] });
  await expect(count).toHaveText("4 items, 2 selected");
  expect(await selected()).toEqual(["archive.zip", "report.pdf"]);

  await row(page, "photos/").click({ modifiers: ["ControlOrMeta"] });
  await expect(count).toHaveText("4 items, 3 selected");
  expect(await selected()).toEqual(["archive.zip", "photos/", "report.pdf"]);

  // A plain click starts again.
  await row(page, "notes.txt").click();
  await expect(count).toHaveText("4 items, 1 selected");
  expect(await selected()).toEqual(["notes.txt"]);

  await page.keyboard.press("ControlOrMeta+a");
  await expect(count).toHaveText("4 items, 4 selected");
  expect(await selected()).toEqual(["archive.zip", "notes.txt", "photos/", "report.pdf"]);

  // Ctrl+A in the filter box selects its text, not the rows.
  await row(page, "notes.txt").click();
  await page.getByTestId("filter").fill("o");
  await page.getByTestId("filter").press("ControlOrMeta+a");
  await page.getByTestId("filter").press("Delete");
  await expect(page.getByTestId("filter")).toHaveValue("");
  await expect(count).toHaveText("4 items, 1 selected");
  await expect(page.getByTestId("delete-dialog")).toHaveCount(0);
});

test("a folder of 100,000 objects: quick first page, few rows in the DOM, paging to the end", async ({
  page,
}) => {
  test.setTimeout(60_000);
  await start(page, { fill: { workspace: "local", folder: "big/", count: 100_000 } });
  const count = page.getByTestId("count");

  const opened = Date.now();
  await row(page, "big/").dblclick();
  await expect(row(page, "big/item-00000.dat")).toBeVisible();
  const firstPage = Date.now() - opened;
  expect(firstPage).toBeLessThan(3000);
  await expect(count).toHaveText("1000+ items");

  const inDom = () => rows(page).count();
  expect(await inDom()).toBeGreaterThan(5);
  expect(await inDom()).toBeLessThan(100);
  // Only the first page was asked for: nothing is listed ahead of the scroll position.
  expect(await argsOf(page, "list_more")).toHaveLength(0);

  // Scroll to the bottom until the folder's last object is shown.
  const list = scroller(page);
  await expect
    .poll(
      async () => {
        await list.evaluate((el) => (el.scrollTop = el.scrollHeight));
        return row(page, "big/item-99999.dat").count();
      },
      { timeout: 45_000, intervals: [20] },
    )
    .toBe(1);
  await expect(row(page, "big/item-99999.dat")).toBeVisible();
  await expect(count).toHaveText("100000 items");

  const more = await argsOf(page, "list_more");
  expect(more.length).toBe(99);
  expect(new Set(more.map((a) => a.listing)).size).toBe(1);
  expect(await inDom()).toBeLessThan(100);
  expect(await page.locator("[data-testid=row]").count()).toBeLessThan(1000);
});

test("rows hidden by the filter are not acted on", async ({ page }) => {
  await start(page);
  await page.getByTestId("file-list").click({ position: { x: 400, y: 300 } });
  await page.keyboard.press("Control+a");
  await expect(page.getByTestId("count")).toContainText("selected");
  await page.getByTestId("filter").fill("report");
  await expect(page.getByTestId("count")).toHaveText(/1 item, 1 selected/);
  await page.getByTestId("filter").blur();
  await page.keyboard.press("Delete");
  await expect(page.getByTestId("delete-list")).toHaveText("report.pdf");
});

test("a symbolic link is shown as a link, with where it points and no size", async ({ page }) => {
  await start(page, { links: [["local", "shortcut", "../Elsewhere/projects"]] });
  const link = row(page, "shortcut");
  await expect(link).toBeVisible();
  await expect(link.getByTestId("row-type")).toHaveText("Link → ../Elsewhere/projects");
  await expect(link.locator(".cell.size")).toHaveText("");
  await expect(link.locator(".icon.link")).toHaveCount(1);
});
