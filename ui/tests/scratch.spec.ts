import { expect, test } from "@playwright/test";
import { commands, row, scroller, start } from "./helpers";
test("perf", async ({ page }) => {
  test.setTimeout(200_000);
  await start(page, { fill: { workspace: "local", folder: "big/", count: 100_000 } });
  await row(page, "big/").dblclick();
  await expect(row(page, "big/item-00000.dat")).toBeVisible();
  const list = scroller(page);
  const t0 = Date.now();
  for (let i = 0; i < 100; i++) {
    const before = (await commands(page, "list_more")).length;
    const t = Date.now();
    await list.evaluate((el) => (el.scrollTop = el.scrollHeight));
    await expect.poll(async () => (await commands(page, "list_more")).length, {intervals:[5]}).toBeGreaterThan(before);
    await expect(page.getByTestId("count")).not.toHaveText(`${(before+1)*1000}+ items`);
    if (i % 10 === 0) console.log(i, Date.now() - t);
    if (await row(page, "big/item-99999.dat").count()) break;
  }
  console.log("total", Date.now() - t0);
  const prof = await page.evaluate(async () => {
    const t = performance.now();
    const el = document.querySelector('[data-testid=file-list] [role=grid]')!;
    el.scrollTop = 0;
    await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
    return performance.now() - t;
  });
  console.log("scroll top", prof);
});
