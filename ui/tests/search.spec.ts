// Searching below a folder, sorting all of a big one, and a folder's size in Properties.

import { expect, test } from "@playwright/test";
import { allCalls, argsOf, row, rows, scroller, shownPaths, start } from "./helpers";
import { formatBytes } from "../src/lib/format";

const deep: [string, string, number][] = [
  ["local", "photos/2024/summer/beach/needle.txt", 4000],
  ["local", "photos/2024/summer/beach/other.jpg", 90_000],
  ["local", "photos/Needle-copy.TXT", 10],
];

test("a search finds a file three folders down; its row acts as any; Close goes back", async ({
  page,
}) => {
  await start(page, { files: deep });
  await page.getByTestId("filter").fill("needle");
  await page.getByTestId("filter").press("Enter");
  const bar = page.getByTestId("search-bar");
  await expect(bar).toContainText("Results for needle below Local/");
  await expect(page.getByTestId("search-count")).toHaveText("2 found");
  expect((await argsOf(page, "search_open")).at(-1)).toEqual({
    workspace: "local",
    path: "",
    query: { name: "needle", larger_than: null, newer_than: null, storage_class: null },
  });
  // Each result says where it lies below the folder searched.
  await expect(row(page, "photos/2024/summer/beach/needle.txt")).toContainText(
    "in photos/2024/summer/beach/",
  );
  await expect(row(page, "photos/Needle-copy.TXT")).toContainText("in photos/");

  // A result is a row like any: Properties, then Show in folder.
  await row(page, "photos/2024/summer/beach/needle.txt").click();
  await row(page, "photos/2024/summer/beach/needle.txt").dblclick();
  await expect(page.getByTestId("preview-text")).toContainText("Contents of");
  await page.getByTestId("quick-look").getByRole("button", { name: "Properties" }).click();
  await expect(page.getByTestId("properties-dialog")).toContainText("needle.txt");
  await page.getByTestId("properties-dialog").getByRole("button", { name: "Close" }).last().click();
  await page.getByTestId("reveal").click();
  await expect(bar).toHaveCount(0);
  await expect(page.getByTestId("pathbar")).toContainText("beach");
  await expect(rows(page)).toHaveCount(2);
  await expect(row(page, "photos/2024/summer/beach/needle.txt")).toHaveAttribute(
    "aria-selected",
    "true",
  );

  // A glob with a path, from the top again; Escape closes the search.
  await page.getByTestId("pathbar").getByRole("button", { name: "Local" }).click();
  await page.getByTestId("filter").fill("photos/**/*.jpg");
  await page.getByTestId("filter").press("Enter");
  await expect(page.getByTestId("search-count")).toHaveText("3 found");
  await page.getByTestId("filter").press("Escape");
  await expect(bar).toHaveCount(0);
  await expect(row(page, "notes.txt")).toBeVisible();
  const listings = await argsOf(page, "list_close");
  expect(listings.length).toBeGreaterThan(0);

  // Nothing found says so.
  await page.getByTestId("filter").fill("no such thing");
  await page.getByTestId("filter").press("Enter");
  await expect(page.getByTestId("empty")).toHaveText("Nothing below this folder matches.");
  await page.getByTestId("search-close").click();
  await expect(row(page, "notes.txt")).toBeVisible();
});

test("search options send size, age and class; a wrong number is refused before searching", async ({
  page,
}) => {
  await start(page, { files: deep });
  await page.getByTestId("search-options").click();
  await page.getByTestId("search-larger").fill("big");
  await page.getByTestId("search-run").click();
  await expect(page.getByText("Larger than must be a number from 0 to 100,000")).toBeVisible();
  expect(await argsOf(page, "search_open")).toEqual([]);

  await page.getByTestId("search-larger").fill("0.05");
  await page.getByTestId("search-within").fill("7");
  await page.getByTestId("search-class").selectOption("STANDARD");
  await page.getByTestId("search-run").click();
  const query = (await argsOf(page, "search_open")).at(-1)?.query as Record<string, unknown>;
  expect(query.larger_than).toBe(52429);
  expect(query.storage_class).toBe("STANDARD");
  expect(typeof query.newer_than).toBe("string");
  await expect(page.getByTestId("search-options-panel")).toHaveCount(0);
});

test("a search matching everything gathers 5,000 results by itself, then more as it is scrolled", async ({
  page,
}) => {
  await start(page, { fill: { workspace: "local", folder: "big/", count: 6500 } });
  await page.getByTestId("filter").fill("item-");
  await page.getByTestId("filter").press("Enter");
  await expect(page.getByTestId("search-count")).toHaveText("5000 found, more as you scroll");
  await scroller(page).evaluate((el) => (el.scrollTop = el.scrollHeight));
  await expect(page.getByTestId("search-count")).toHaveText("6000 found, more as you scroll");
  await scroller(page).evaluate((el) => (el.scrollTop = el.scrollHeight));
  await expect(page.getByTestId("search-count")).toHaveText("6500 found");
});

test("sorting a folder sorts all of it: the rest of its listing is brought first", async ({
  page,
}) => {
  await start(page, { fill: { workspace: "local", folder: "big/", count: 2500 } });
  await row(page, "big/").dblclick();
  await expect(page.getByTestId("count")).toHaveText("1000+ items");
  await page.getByTestId("sort-size").click();
  await expect(page.getByTestId("count")).toHaveText("2500 items");
  // Largest first: the last file of the folder, which was not loaded before the sort.
  await expect(rows(page).first()).toHaveAttribute("data-path", "big/item-2499.dat");
});

test("a folder's Properties count what it holds, below it too", async ({ page }) => {
  await start(page, { files: deep });
  await row(page, "photos/").click({ button: "right" });
  await page.getByRole("menuitem", { name: "Properties" }).click();
  const size = page.getByTestId("folder-size");
  // photos/: cat, dog, Needle-copy, and two three folders down.
  await expect(size).toHaveAttribute("data-state", "done");
  await expect(page.getByTestId("folder-size-value")).toHaveText(
    `5 objects, 634 KB (${(245_000 + 310_000 + 10 + 4000 + 90_000).toLocaleString()} bytes)`,
  );
  const calls = (await allCalls(page)).filter((c) => c.cmd.startsWith("folder_size"));
  expect(calls.map((c) => c.cmd)).toEqual([
    "folder_size_open",
    "folder_size_more",
    "folder_size_more",
  ]);

  // Alt+Enter is Properties from the keyboard (Enter opens the folder); Ctrl+F goes to search.
  await page.getByTestId("properties-dialog").getByRole("button", { name: "Close" }).last().click();
  await row(page, "photos/").click();
  await page.keyboard.press("Alt+Enter");
  await expect(page.getByTestId("folder-size")).toHaveAttribute("data-state", "done");
  await page.getByTestId("properties-dialog").getByRole("button", { name: "Close" }).last().click();
  await page.keyboard.press("Control+f");
  await expect(page.getByTestId("filter")).toBeFocused();
});

test("Folder sizes counts each folder row below it, and sorting by size uses the counts", async ({
  page,
}) => {
  await start(page, {
    files: [
      ["local", "small/a.txt", 100],
      ["local", "small/deep/b.txt", 200],
      ["local", "large/big.bin", 50_000],
    ],
  });
  const size = (path: string) => row(page, path).getByTestId("row-size");
  await expect(size("large/")).toHaveText("");
  await page.getByTestId("folder-sizes").click();
  await expect(size("large/")).toHaveText(formatBytes(50_000));
  await expect(size("small/")).toHaveText(formatBytes(300));
  await expect(size("small/")).toHaveAttribute("title", "2 objects");
  const counted = (await argsOf(page, "folder_size_open")).map((a) => a.path);
  expect(counted).toContain("large/");
  expect(counted).toContain("small/");

  // By size, either way: the counted folders, not the rows' own zero sizes.
  const two = async () => (await shownPaths(page)).filter((p) => p === "large/" || p === "small/");
  await page.getByTestId("sort-size").click();
  await expect.poll(two).toEqual(["large/", "small/"]);
  await page.getByTestId("sort-size").click();
  await expect.poll(two).toEqual(["small/", "large/"]);

  // Off: the column is blank again and nothing more is counted.
  await page.getByTestId("folder-sizes").click();
  await expect(size("large/")).toHaveText("");
});
