// The dialogs of the file list: rename, delete (with its confirmation) and new folder.

import { expect, test } from "@playwright/test";
import { argsOf, row, rows, select, start } from "./helpers";

test("F2 renames a file; a name already there is refused inline", async ({ page }) => {
  await start(page);
  await row(page, "notes.txt").click();
  await page.keyboard.press("F2");
  const dialog = page.getByTestId("name-dialog");
  const input = dialog.getByTestId("name-input");
  const ok = dialog.getByTestId("name-ok");
  await expect(dialog).toBeVisible();
  await expect(input).toHaveValue("notes.txt");
  await expect(input).toBeFocused();
  // The name without its extension is selected, ready to be typed over.
  expect(
    await input.evaluate((el: HTMLInputElement) => [el.selectionStart, el.selectionEnd]),
  ).toEqual([0, 5]);

  await input.fill("report.pdf");
  await expect(ok).toBeDisabled();
  await expect(dialog).toContainText("Something here already has that name.");
  await expect(input).toHaveAttribute("aria-invalid", "true");
  await input.press("Enter");
  await expect(dialog).toBeVisible();

  await input.fill("a/b");
  await expect(ok).toBeDisabled();
  await expect(dialog).toContainText("cannot contain /");

  await input.fill("todo.txt");
  await expect(ok).toBeEnabled();
  await expect(dialog).not.toContainText("already has that name");
  expect(await argsOf(page, "rename")).toEqual([]);
  await ok.click();
  await expect(dialog).toHaveCount(0);
  expect(await argsOf(page, "rename")).toEqual([
    { workspace: "local", path: "notes.txt", newName: "todo.txt" },
  ]);
  // Rename runs as a move job; the folder is listed again when it completes.
  await expect(row(page, "todo.txt")).toBeVisible();
  await expect(row(page, "notes.txt")).toHaveCount(0);
  await expect(page.locator("[data-testid=job][data-status=completed]")).toContainText(
    "Rename notes.txt",
  );
});

test("Delete asks first, listing exactly the selection; Cancel keeps everything", async ({
  page,
}) => {
  await start(page);
  await select(page, "notes.txt", "report.pdf");
  await page.keyboard.press("Delete");
  const dialog = page.getByTestId("delete-dialog");
  await expect(dialog).toBeVisible();
  await expect(dialog.getByTestId("delete-list").locator("li")).toHaveText([
    "notes.txt",
    "report.pdf",
  ]);
  await expect(dialog).toContainText("Delete 2 items?");
  await expect(dialog).toContainText("Local");

  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(dialog).toHaveCount(0);
  expect(await argsOf(page, "delete_paths")).toEqual([]);
  await expect(rows(page)).toHaveCount(4);

  // Escape closes it too, and deletes nothing.
  await page.getByTestId("delete").click();
  await expect(dialog).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(dialog).toHaveCount(0);
  expect(await argsOf(page, "delete_paths")).toEqual([]);

  await page.keyboard.press("Delete");
  await dialog.getByTestId("confirm-delete").click();
  await expect(dialog).toHaveCount(0);
  await expect(row(page, "notes.txt")).toHaveCount(0);
  await expect(row(page, "report.pdf")).toHaveCount(0);
  await expect(rows(page)).toHaveCount(2);
  expect(await argsOf(page, "delete_paths")).toEqual([
    { workspace: "local", paths: ["notes.txt", "report.pdf"] },
  ]);
  await expect(page.getByTestId("toast")).toContainText("Deleted 2 items");
});

test("the context menu deletes a folder with everything in it", async ({ page }) => {
  await start(page);
  await row(page, "photos/").click({ button: "right" });
  const menu = page.getByTestId("context-menu");
  await expect(menu).toBeVisible();
  await expect(row(page, "photos/")).toHaveAttribute("aria-selected", "true");
  await menu.getByRole("menuitem", { name: "Delete…" }).click();
  await expect(menu).toHaveCount(0);
  const dialog = page.getByTestId("delete-dialog");
  await expect(dialog.getByTestId("delete-list").locator("li")).toHaveText(["photos/"]);
  await expect(dialog).toContainText("folders with everything in them");
  await dialog.getByTestId("confirm-delete").click();
  await expect(row(page, "photos/")).toHaveCount(0);
  expect(await argsOf(page, "delete_paths")).toEqual([{ workspace: "local", paths: ["photos/"] }]);
  expect(await page.evaluate(() => window.fake.exists("local", "photos/cat.jpg"))).toBe(false);
});

test("New folder in the toolbar creates a folder row", async ({ page }) => {
  await start(page);
  await page.getByTestId("new-folder").click();
  const dialog = page.getByTestId("name-dialog");
  const input = dialog.getByTestId("name-input");
  const ok = dialog.getByTestId("name-ok");
  await expect(dialog).toContainText("New folder");
  await expect(input).toHaveValue("");
  await expect(ok).toBeDisabled();

  await input.fill("photos");
  await expect(ok).toBeDisabled();
  await expect(dialog).toContainText("Something here already has that name.");

  await input.fill("Projects");
  await expect(ok).toBeEnabled();
  await input.press("Enter");
  await expect(dialog).toHaveCount(0);
  expect(await argsOf(page, "folder_create")).toEqual([{ workspace: "local", path: "Projects/" }]);
  const created = row(page, "Projects/");
  await expect(created).toBeVisible();
  await expect(created).toHaveAttribute("data-drop-folder", "Projects/");
  await expect(rows(page)).toHaveCount(5);

  // Inside a folder, the new one goes there.
  await created.dblclick();
  await expect(page.getByTestId("empty")).toContainText("This folder is empty.");
  await page.getByTestId("new-folder").click();
  await input.fill("2026");
  await ok.click();
  await expect(row(page, "Projects/2026/")).toBeVisible();
  expect((await argsOf(page, "folder_create")).at(-1)).toEqual({
    workspace: "local",
    path: "Projects/2026/",
  });
});
