// Shared steps for the UI tests: start the app over the fake backend, find rows, read what
// crossed IPC, and hand the fake Tauri's drag-and-drop events.

import { expect, type Locator, type Page } from "@playwright/test";
import type { FakeSeed } from "./fake/backend";

export interface Call {
  cmd: string;
  args: Record<string, unknown> | null;
  result?: unknown;
  error?: unknown;
}

/** Opens the app over a fresh fake (seeded before the app loads) and waits until it settled. */
export async function start(page: Page, seed?: FakeSeed): Promise<void> {
  if (seed) {
    await page.addInitScript((s) => {
      window.fakeSeed = s;
    }, seed);
  }
  await page.goto("/test.html");
  // app.start() asks for the jobs last, after the settings and the first folder; with a broken
  // settings.json it asks for neither (the banner explains) until the file is fixed.
  const last = seed?.problem ? "settings_get" : "jobs_watch";
  await expect.poll(() => argsOf(page, last).then((c) => c.length)).toBe(1);
  if (!seed?.problem) await expect(page.getByTestId("count")).not.toHaveText("Loading…");
}

/** Every call, with results and errors, as the page logged them. */
export function allCalls(page: Page): Promise<Call[]> {
  return page.evaluate(() => window.fake.calls as Call[]);
}

/** The arguments of the calls of `cmd`, oldest first (results stay in the page). */
export function argsOf(page: Page, cmd: string): Promise<Record<string, unknown>[]> {
  return page.evaluate((c) => {
    const calls = (window.fake?.calls ?? []) as Call[];
    return calls.filter((x) => x.cmd === c).map((x) => x.args ?? {});
  }, cmd);
}

export function row(page: Page, path: string): Locator {
  return page.locator(`[data-testid=row][data-path="${path}"]`);
}

export function rows(page: Page): Locator {
  return page.getByTestId("row");
}

/** The paths of the rows in the DOM, top to bottom. */
export function shownPaths(page: Page): Promise<string[]> {
  return rows(page).evaluateAll((els) =>
    els
      .map((e) => e as HTMLElement)
      .sort((a, b) => a.offsetTop - b.offsetTop)
      .map((e) => e.dataset.path ?? ""),
  );
}

/** The scrolling part of the file list. */
export function scroller(page: Page): Locator {
  return page.getByTestId("file-list").getByRole("grid");
}

export async function center(locator: Locator): Promise<{ x: number; y: number }> {
  const box = await locator.boundingBox();
  if (!box) throw new Error("not on screen");
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

/** A point in the file list below the last row (the folder shown, not a folder row). */
export async function emptyArea(page: Page): Promise<{ x: number; y: number }> {
  const box = await scroller(page).boundingBox();
  if (!box) throw new Error("no file list");
  return { x: box.x + box.width / 2, y: box.y + box.height - 12 };
}

/** Files dropped from the desktop at (x, y): Tauri's drag-enter, drag-over, drag-drop. */
export function dropFiles(page: Page, paths: string[], at: { x: number; y: number }) {
  return page.evaluate(({ paths, x, y }) => window.fake.drop(paths, x, y), { paths, ...at });
}

export function dragEnter(page: Page, paths: string[], at: { x: number; y: number }) {
  return page.evaluate(({ paths, x, y }) => window.fake.dragEnter(paths, x, y), { paths, ...at });
}

export function dragOver(page: Page, at: { x: number; y: number }) {
  return page.evaluate(({ x, y }) => window.fake.dragOver(x, y), at);
}

export function dragLeave(page: Page) {
  return page.evaluate(() => window.fake.dragLeave());
}

/** Selects rows by clicking (ctrl adds to the selection). */
export async function select(page: Page, ...paths: string[]): Promise<void> {
  for (const [i, p] of paths.entries()) {
    await row(page, p).click({ modifiers: i === 0 ? [] : ["ControlOrMeta"] });
  }
  await expect(page.getByTestId("count")).toContainText(`${paths.length} selected`);
}
