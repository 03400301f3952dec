// Quick look: Space or a double-click shows a file's contents by kind — text, formatted JSON, a
// table, the app's small picture of an image, the first pages of a PDF read range by range, a
// player — and a file with no preview shows its properties saying why.

import { readFileSync } from "node:fs";
import { expect, test, type Page } from "@playwright/test";
import { argsOf, row, start } from "./helpers";

const PDF = readFileSync(new URL("./fixtures/two-pages.pdf", import.meta.url));

const files: [string, string, number][] = [
  ["local", "docs/readme.txt", 120],
  ["local", "docs/data.json", 40],
  ["local", "docs/table.csv", 30],
  ["local", "docs/photo.jpg", 2_000_000],
  ["local", "docs/manual.pdf", PDF.length],
  ["local", "docs/song.mp3", 4_000_000],
  ["local", "docs/bundle.zip", 900],
];

async function look(page: Page, path: string): Promise<void> {
  await row(page, path).click();
  await page.keyboard.press(" ");
}

test("each kind of file previews as itself; Space closes", async ({ page }) => {
  await start(page, { files });
  await row(page, "docs/").dblclick();

  await row(page, "docs/readme.txt").dblclick();
  const quick = page.getByTestId("quick-look");
  await expect(quick.getByTestId("preview-text")).toContainText("Contents of docs/readme.txt");
  // A local file has no checksum to hold it to.
  await expect(quick.getByTestId("preview-notes")).toHaveText(
    "UTF-8 · not verified (no checksum to check)",
  );
  await page.keyboard.press(" ");
  await expect(quick).toHaveCount(0);

  await look(page, "docs/data.json");
  await expect(quick.getByTestId("preview-text")).toContainText('"name": "ferry"');
  await expect(quick.getByTestId("preview-notes")).toContainText("formatted JSON");
  await page.keyboard.press("Escape");

  await look(page, "docs/table.csv");
  await expect(quick.locator("th")).toHaveText(["name", "size"]);
  await expect(quick.locator("td").first()).toHaveText("table.csv");
  await page.keyboard.press("Escape");

  await look(page, "docs/photo.jpg");
  const picture = quick.getByTestId("preview-image");
  await expect(picture).toHaveAttribute("src", /^data:image\/png;base64,/);
  await expect(quick.getByTestId("preview-notes")).toContainText("4000 × 3000 px");
  await page.keyboard.press("Escape");

  // No preview: the properties, saying why.
  await look(page, "docs/bundle.zip");
  await expect(page.getByTestId("properties-dialog")).toContainText(
    "No preview: this kind of file has no preview.",
  );
  expect((await argsOf(page, "preview")).map((a) => a.path)).toEqual([
    "docs/readme.txt",
    "docs/data.json",
    "docs/table.csv",
    "docs/photo.jpg",
    "docs/bundle.zip",
  ]);
});

test("a PDF's pages are drawn from ranges the app reads; the token is closed after", async ({
  page,
}) => {
  const ranges: string[] = [];
  await page.route("http://ferry-media.localhost/**", async (route) => {
    const token = route.request().url().split("/").pop();
    const range = route.request().headers()["range"] ?? "";
    ranges.push(range);
    const m = /bytes=(\d+)-(\d+)/.exec(range);
    if (token !== "token-manual.pdf" || !m) return route.fulfill({ status: 416 });
    const [start, end] = [Number(m[1]), Math.min(Number(m[2]), PDF.length - 1)];
    await route.fulfill({
      status: 206,
      headers: {
        "content-type": "application/pdf",
        "content-range": `bytes ${start}-${end}/${PDF.length}`,
        "access-control-allow-origin": "*",
      },
      body: PDF.subarray(start, end + 1),
    });
  });
  await start(page, { files });
  await row(page, "docs/").dblclick();
  await look(page, "docs/manual.pdf");
  const pages = page.getByTestId("quick-look").getByTestId("pdf-page");
  await expect(pages).toHaveCount(2);
  // Drawn: the canvas holds dark pixels (the text), not only the white page.
  await expect
    .poll(() =>
      pages.first().evaluate((c) => {
        const canvas = c as HTMLCanvasElement;
        const data = canvas.getContext("2d")?.getImageData(0, 0, canvas.width, canvas.height).data;
        let dark = 0;
        for (let i = 0; data && i < data.length; i += 4) if ((data[i] ?? 255) < 100) dark++;
        return dark;
      }),
    )
    .toBeGreaterThan(50);
  expect(ranges.length).toBeGreaterThan(0);
  expect(ranges.every((r) => r.startsWith("bytes="))).toBe(true);
  await page.keyboard.press("Escape");
  await expect
    .poll(() => page.evaluate(() => window.fake.previewsClosed))
    .toEqual(["token-manual.pdf"]);
});

test("audio plays from the app's protocol, not from a link to the server", async ({ page }) => {
  await start(page, { files });
  await row(page, "docs/").dblclick();
  await look(page, "docs/song.mp3");
  const audio = page.getByTestId("quick-look").getByTestId("preview-audio");
  await expect(audio).toHaveAttribute("src", "http://ferry-media.localhost/token-song.mp3");
});

test("Edit in app hands the object over; a save whose object changed meanwhile asks first", async ({
  page,
}) => {
  await start(page, { files: [["demo-s3", "report.txt", 100]] });
  await page.locator("[data-testid=workspace][data-workspace=demo-s3]").click();
  await row(page, "report.txt").click({ button: "right" });
  await page.getByTestId("menu-edit").click();
  await expect(page.getByTestId("toast").last()).toContainText("Editing report.txt in another app");
  expect(await page.evaluate(() => window.fake.opened)).toEqual([
    { workspace: "demo-s3", path: "report.txt", edit: true },
  ]);

  // Another window's question is that window's.
  await page.evaluate(() => window.fake.editConflict(1, "demo-s3", "report.txt", false, "ferry-2"));
  // The app saw a save, but the object changed meanwhile: nothing is sent until the person says.
  await page.evaluate(() => window.fake.editConflict(1, "demo-s3", "report.txt"));
  const asked = page.getByTestId("edit-conflict");
  await expect(asked).toHaveCount(1);
  await expect(asked).toContainText("someone else changed it in Demo S3 after you opened it");
  // Escape does not answer for the person (it used to discard the edit).
  await page.keyboard.press("Escape");
  await expect(asked).toBeVisible();
  // An answer that could not be carried out leaves the question standing.
  await page.evaluate(() => (window.fake.failResolve = true));
  await asked.getByTestId("edit-copy").click();
  await expect(page.getByTestId("toast").last()).toContainText("the server is unreachable");
  await expect(asked).toBeVisible();
  await page.evaluate(() => (window.fake.failResolve = false));
  await asked.getByTestId("edit-copy").click();
  await expect(asked).toHaveCount(0);
  expect(await page.evaluate(() => window.fake.resolved)).toEqual([
    { edit: 1, choice: "save_as_copy" },
    { edit: 1, choice: "save_as_copy" },
  ]);

  // Deleted meanwhile: the upload puts it back, if that is what the person wants.
  await page.evaluate(() => window.fake.editConflict(1, "demo-s3", "report.txt", true));
  await expect(asked).toContainText("it was deleted from Demo S3");
  await asked.getByTestId("edit-overwrite").click();
  await expect(asked).toHaveCount(0);
  expect((await page.evaluate(() => window.fake.resolved)).at(-1)).toEqual({
    edit: 1,
    choice: "overwrite",
  });

  // A save that went back says so; one that could not be sent too.
  await page.evaluate(() => window.fake.editSaved(1, "demo-s3", "report.txt"));
  await expect(page.getByTestId("toast").last()).toContainText("Saved report.txt back to Demo S3");
  await page.evaluate(() =>
    window.fake.editFailed(1, "demo-s3", "report.txt", "connection refused"),
  );
  await expect(page.getByTestId("toast").last()).toContainText(
    "Saving report.txt back to Demo S3 failed: connection refused",
  );

  // Open (read only) from Quick look.
  await row(page, "report.txt").dblclick();
  await page.getByTestId("preview-open").click();
  expect((await page.evaluate(() => window.fake.opened)).at(-1)).toEqual({
    workspace: "demo-s3",
    path: "report.txt",
    edit: false,
  });
});
