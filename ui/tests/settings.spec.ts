// The settings dialog: inline validation, provider presets, keys that never come back, and a
// settings.json that cannot be read.

import { expect, test, type Page } from "@playwright/test";
import { allCalls, argsOf, row, start } from "./helpers";

async function newWorkspace(page: Page) {
  await page.getByTestId("open-settings").click();
  const dialog = page.getByTestId("settings-dialog");
  await expect(dialog).toBeVisible();
  await dialog.getByTestId("add-workspace").click();
  const editor = dialog.getByTestId("workspace-editor");
  await expect(editor.getByRole("heading")).toHaveText("New workspace");
  return editor;
}

test("the workspace form checks fields as they are typed, and presets fill the endpoint", async ({
  page,
}) => {
  await start(page);
  const editor = await newWorkspace(page);
  const save = editor.getByTestId("save-workspace");
  const endpoint = editor.getByTestId("field-endpoint_url");

  await editor.getByTestId("field-name").fill("Backups");
  await editor.getByTestId("field-provider").selectOption("minio");
  await editor.getByTestId("field-bucket").fill("backups");
  await expect(endpoint).toHaveValue("");
  await expect(editor.getByTestId("problem-storage.endpoint_url")).toContainText(
    "Enter the server's address",
  );
  await expect(endpoint).toHaveAttribute("aria-invalid", "true");
  await expect(save).toBeDisabled();
  await expect(editor.getByTestId("test-connection")).toBeDisabled();

  await endpoint.fill("http://minio.lan:9000");
  await expect(editor.getByTestId("problem-storage.endpoint_url")).toHaveCount(0);
  // Plain http to another machine is allowed, and said next to the field.
  await expect(editor.getByTestId("warning-storage.endpoint_url")).toContainText(
    "http:// is not encrypted",
  );
  await expect(save).toBeEnabled();
  await endpoint.fill("https://minio.lan:9000");
  await expect(editor.getByTestId("warning-storage.endpoint_url")).toHaveCount(0);

  // What only the engine knows comes back from workspace_check and shows by its field.
  await editor.getByTestId("field-bucket").fill("Bad_Bucket");
  await expect(editor.getByTestId("problem-storage.bucket")).toContainText(
    '"Bad_Bucket" is not a valid bucket name',
  );
  await expect(save).toBeDisabled();
  const checked = (await argsOf(page, "workspace_check")).map(
    (a) => (a.form as { bucket: string }).bucket,
  );
  expect(checked).toContain("Bad_Bucket");
  await editor.getByTestId("field-bucket").fill("good-bucket");
  await expect(editor.getByTestId("problem-storage.bucket")).toHaveCount(0);
  await expect(save).toBeEnabled();

  // DigitalOcean: the region makes the endpoint.
  await editor.getByTestId("field-provider").selectOption("digitalocean");
  await expect(endpoint).toHaveValue("https://nyc3.digitaloceanspaces.com");
  await editor.getByTestId("field-region").fill("ams3");
  await expect(endpoint).toHaveValue("https://ams3.digitaloceanspaces.com");

  // R2: the account id makes the endpoint; until it is there the form says what is missing.
  await editor.getByTestId("field-provider").selectOption("r2");
  await expect(editor.getByTestId("problem-account")).toBeVisible();
  await expect(save).toBeDisabled();
  const account = "0123456789abcdef0123456789abcdef";
  await editor.getByTestId("field-account").fill(account);
  await expect(endpoint).toHaveValue(`https://${account}.r2.cloudflarestorage.com`);
  await expect(editor.getByTestId("problem-account")).toHaveCount(0);
  await expect(save).toBeEnabled();

  // Amazon: no endpoint at all (the SDK's own).
  await editor.getByTestId("field-provider").selectOption("aws");
  await expect(endpoint).toHaveValue("");
  await expect(save).toBeEnabled();
  expect(await argsOf(page, "workspace_save")).toEqual([]);
});

test("a secret goes in once and never comes back out", async ({ page }) => {
  const keyId = "FERRYTESTKEYID7Q2W";
  const secret = "zebra-Quokka-9431/secret+Vm8pXw";
  await start(page);
  const editor = await newWorkspace(page);
  await editor.getByTestId("field-name").fill("Vault");
  await editor.getByTestId("field-provider").selectOption("minio");
  await editor.getByTestId("field-endpoint_url").fill("http://127.0.0.1:9000");
  await editor.getByTestId("field-bucket").fill("vault");
  await expect(editor.getByTestId("secret-status")).toContainText("Not set");
  await editor.getByTestId("field-access-key").fill(keyId);
  await expect(editor.getByTestId("save-workspace")).toBeDisabled();
  await expect(editor).toContainText("Enter both the key id and the secret.");
  await editor.getByTestId("field-secret").fill(secret);
  await expect(editor.getByTestId("field-secret")).toHaveAttribute("type", "password");

  await editor.getByTestId("test-connection").click();
  const result = editor.getByTestId("test-result");
  await expect(result).toHaveAttribute("data-ok", "true");
  await expect(result.locator("li")).toHaveCount(4);
  await expect(result).toContainText("connect: connected");
  await expect(result).toContainText("cleanup: removed the probe");

  await editor.getByTestId("save-workspace").click();
  await expect(page.getByTestId("toast")).toContainText("Saved Vault");
  const dialog = page.getByTestId("settings-dialog");
  await expect(dialog.getByTestId("workspace-editor").getByRole("heading")).toHaveText("Vault");

  // (a) The keys went in: to the test and to the save, and into the keychain.
  const sent = { access_key_id: keyId, secret_access_key: secret };
  expect((await argsOf(page, "workspace_test")).map((a) => a.secret)).toEqual([sent]);
  const saves = await argsOf(page, "workspace_save");
  expect(saves.map((a) => a.secret)).toEqual([sent]);
  expect((saves[0]?.form as { id: string }).id).toBe("");
  expect(await page.evaluate(() => window.fake.secrets.get("vault"))).toEqual(sent);

  // (b) Nothing that came back over IPC holds them.
  const answers = (await allCalls(page)).map((c) => JSON.stringify([c.result, c.error]));
  expect(answers.length).toBeGreaterThan(5);
  for (const answer of answers) {
    expect(answer).not.toContain(secret);
    expect(answer).not.toContain(keyId);
  }

  // (c) The saved workspace shows that keys are set, never what they are.
  const fields = async () => {
    const ed = dialog.getByTestId("workspace-editor");
    await expect(ed.getByTestId("secret-status")).toContainText("Set");
    await expect(ed.getByTestId("secret-status")).not.toContainText("Not set");
    await expect(ed.getByTestId("field-secret")).toHaveValue("");
    await expect(ed.getByTestId("field-access-key")).toHaveValue("");
  };
  await fields();
  await dialog.getByRole("button", { name: "Close" }).click();
  await expect(dialog).toHaveCount(0);
  await expect(page.locator("[data-testid=workspace][data-workspace=vault]")).toContainText(
    "Vault",
  );
  await page.getByTestId("open-settings").click();
  await dialog.locator("[data-testid=settings-ws][data-workspace=vault]").click();
  await expect(dialog.getByTestId("workspace-editor").getByRole("heading")).toHaveText("Vault");
  await expect(dialog.getByTestId("field-bucket")).toHaveValue("vault");
  await fields();

  // (d) And they are nowhere on the page.
  const page_ = await page.evaluate(() => ({
    text: document.body.innerText,
    html: document.documentElement.outerHTML,
    values: [...document.querySelectorAll("input, textarea, select")].map(
      (e) => (e as HTMLInputElement).value,
    ),
  }));
  expect(page_.values.length).toBeGreaterThan(5);
  for (const where of [page_.text, page_.html, ...page_.values]) {
    expect(where).not.toContain(secret);
    expect(where).not.toContain(keyId);
  }
});

test("a malformed settings.json is shown with its line and column, and can be opened", async ({
  page,
}) => {
  await start(page, {
    problem: {
      message: "expected `,` or `}` after an object entry",
      hint: "Fix the file by hand.",
      line: 12,
      column: 7,
    },
  });
  const banner = page.getByTestId("settings-banner");
  await expect(banner).toBeVisible();
  await expect(banner).toContainText("line 12, column 7");
  await expect(banner).toContainText("expected `,` or `}` after an object entry");
  await expect(page.getByTestId("workspace")).toHaveCount(0);

  await page.getByTestId("open-settings").click();
  const problem = page.getByTestId("settings-dialog").getByTestId("settings-problem");
  await expect(problem).toContainText("settings.json cannot be used");
  await expect(problem).toContainText("(line 12, column 7)");
  await expect(problem).toContainText("expected `,` or `}` after an object entry");
  await expect(problem).toContainText("Fix the file by hand.");
  await expect(page.getByTestId("add-workspace")).toHaveCount(0);
  expect(await argsOf(page, "jobs_watch")).toEqual([]);
  await expect(page.getByTestId("toast")).toHaveCount(0);
  expect(await argsOf(page, "settings_open_file")).toEqual([]);
  await problem.getByRole("button", { name: "Open settings.json" }).click();
  await expect.poll(() => argsOf(page, "settings_open_file").then((c) => c.length)).toBe(1);
  await page.keyboard.press("Escape");
  await expect(page.getByTestId("settings-dialog")).toHaveCount(0);

  // Fixed on disk: Ferry reads it again, the banner goes and the workspaces come back.
  await page.evaluate(() => {
    window.fake.problem = null;
    return window.fake.changeSettings();
  });
  await expect(banner).toHaveCount(0);
  await expect(page.getByTestId("workspace")).toHaveCount(2);
  // …and what start-up skipped happens now: the default workspace opens, the panel subscribes.
  await expect(row(page, "notes.txt")).toBeVisible();
  await expect.poll(() => argsOf(page, "jobs_watch").then((c) => c.length)).toBe(1);
});

test("following symbolic links is a transfer setting, off until chosen", async ({ page }) => {
  await start(page);
  await page.getByTestId("open-settings").click();
  const dialog = page.getByTestId("settings-dialog");
  await dialog.getByTestId("settings-transfers").click();
  const follow = dialog.getByTestId("pref-follow-links");
  await expect(follow).not.toBeChecked();
  await follow.check();
  await dialog.getByTestId("save-prefs").click();
  const saved = (await argsOf(page, "transfer_prefs_save")).at(-1) as {
    prefs: { follow_links: boolean };
  };
  expect(saved.prefs.follow_links).toBe(true);
});

test("unpacking .gz downloads is a transfer setting, off until chosen", async ({ page }) => {
  await start(page);
  await page.getByTestId("open-settings").click();
  const dialog = page.getByTestId("settings-dialog");
  await dialog.getByTestId("settings-transfers").click();
  const unpack = dialog.getByTestId("pref-unpack-gz");
  await expect(unpack).not.toBeChecked();
  await unpack.check();
  await dialog.getByTestId("save-prefs").click();
  const saved = (await argsOf(page, "transfer_prefs_save")).at(-1) as {
    prefs: { unpack_gz: boolean; follow_links: boolean };
  };
  expect(saved.prefs.unpack_gz).toBe(true);
  expect(saved.prefs.follow_links).toBe(false);
  expect(await page.evaluate(() => window.fake.unpackGz)).toBe(true);
});

test("the bandwidth limits are transfer settings, none until set", async ({ page }) => {
  await start(page);
  await page.getByTestId("open-settings").click();
  const dialog = page.getByTestId("settings-dialog");
  await dialog.getByTestId("settings-transfers").click();
  const up = dialog.getByLabel("Upload speed limit (0: none)");
  await expect(up).toHaveValue("0");
  await up.fill("2048");
  await dialog.getByLabel("Download speed limit (0: none)").fill("10240");
  await dialog.getByTestId("save-prefs").click();
  const saved = (await argsOf(page, "transfer_prefs_save")).at(-1) as {
    prefs: { bandwidth_limit: { up: number; down: number } };
  };
  // Settings keep bytes per second.
  expect(saved.prefs.bandwidth_limit).toEqual({ up: 2048 * 1024, down: 10240 * 1024 });
});

test("an upload policy is set in the editor, with a preview of where a file goes", async ({
  page,
}) => {
  await start(page);
  const editor = await newWorkspace(page);
  await editor.getByTestId("field-name").fill("Billing");
  await editor.getByTestId("field-provider").selectOption("minio");
  await editor.getByTestId("field-endpoint_url").fill("http://127.0.0.1:9000");
  await editor.getByTestId("field-bucket").fill("billing");
  const policy = editor.getByTestId("upload-policy");
  await policy.locator("summary").click();
  await policy.getByTestId("field-gzip").check();
  await policy.getByTestId("field-key-template").fill("{prefix}/{entity}/{yyyy}/{mm}/{dd}/{name}");
  await expect(policy.getByTestId("upload-preview")).toContainText(
    "exports/billing/2026/12/07/invoice.csv.gz",
  );
  // A template that would put every file at one key is refused, in the engine's words.
  await policy.getByTestId("field-key-template").fill("{prefix}/latest.csv");
  await expect(policy.getByTestId("upload-preview")).toContainText("has no {name}");
  await policy.getByTestId("field-key-template").fill("{prefix}/{entity}/{name}");
  await policy.getByTestId("field-entity").fill("acme");
  await expect(policy.getByTestId("upload-preview")).toContainText(
    "exports/acme/billing/invoice.csv.gz",
  );
  await policy.getByTestId("field-max-size").fill("100");
  await policy.getByTestId("field-no-overwrite").check();
  await editor.getByTestId("field-access-key").fill("KEY");
  await editor.getByTestId("field-secret").fill("SECRET");
  await editor.getByTestId("save-workspace").click();
  await expect(page.getByTestId("toast")).toContainText("Saved Billing");
  const [saved] = await argsOf(page, "workspace_save");
  expect(saved!.form).toMatchObject({
    upload_gzip: true,
    key_template: "{prefix}/{entity}/{name}",
    entity: "acme",
    max_file_size_mb: "100",
    file_overwrite: false,
  });
});

test("Import… shows what a settings file adds before anything is saved; keys only if ticked", async ({
  page,
}) => {
  await start(page);
  await page.getByTestId("open-settings").click();
  const dialog = page.getByTestId("settings-dialog");
  await dialog.getByTestId("import-workspaces").click();
  const panel = dialog.getByTestId("import-panel");
  await panel.getByTestId("import-choose").click();
  const preview = panel.getByTestId("import-preview");
  await expect(preview).toContainText(".env (a Django .env) adds 1 workspace(s)");
  const item = preview.getByTestId("import-item");
  await expect(item).toContainText("s3://team-media/media/ at https://nyc3.digitaloceanspaces.com");
  await expect(item).toContainText("Upload policy: never replaces a file");
  await expect(item).toContainText("The file holds its access keys.");
  await expect(item.getByTestId("import-unmapped")).toHaveText(
    "Not imported: DEBUG: not storage settings",
  );
  // Nothing saved yet.
  expect(await page.evaluate(() => window.fake.imported.length)).toBe(0);
  await expect(panel.getByTestId("import-store-keys")).not.toBeChecked();
  await panel.getByTestId("import-store-keys").check();
  await panel.getByTestId("import-add").click();
  await expect(page.getByTestId("toast").first()).toContainText(
    "Imported 1 workspace(s) from .env",
  );
  expect(await page.evaluate(() => window.fake.imported)).toEqual([
    { id: "team-media", storeKeys: true },
  ]);
  await expect(page.locator("[data-testid=workspace][data-workspace=team-media]")).toBeVisible();
  // The editor opens on what was added.
  await expect(dialog.getByTestId("workspace-editor").getByRole("heading")).toHaveText(
    "team-media",
  );
});

test("A media-planning workspace shows its move to S3 before anything moves, into the chosen place", async ({
  page,
}) => {
  await start(page, { mediaPlan: "/home/me/plans/ws_settings.json" });
  await page.getByTestId("open-settings").click();
  const dialog = page.getByTestId("settings-dialog");
  await dialog.getByTestId("settings-ws").filter({ hasText: "Local" }).first().click();
  const row = dialog.getByTestId("media-plan");
  await expect(row.getByTestId("media-plan-file")).toHaveText("/home/me/plans/ws_settings.json");
  await row.getByTestId("media-plan-move").click();
  await expect(row.getByTestId("media-plan-title")).toHaveText("Move plans to S3");
  await expect(row).toContainText("Ferry will add this workspace");
  await expect(row.getByTestId("media-plan-after")).toContainText('"bucket": "plans-bucket"');
  await expect(row.getByTestId("media-plan-note")).toContainText("as a backup");
  // Nothing started yet; choosing a Ferry workspace plans again.
  expect(await page.evaluate(() => window.fake.storageMoves.length)).toBe(0);
  await row.getByTestId("media-plan-into").selectOption("demo-s3");
  await expect(row.getByTestId("media-plan-after")).toContainText('"bucket": "demo"');
  await expect(row).not.toContainText("Ferry will add this workspace");
  await row.getByTestId("media-plan-start").click();
  await expect(row.getByTestId("media-plan-started")).toContainText("Moving to S3");
  expect(await page.evaluate(() => window.fake.storageMoves)).toEqual([
    ["move-1-demo-s3", "demo-s3"],
  ]);
});

test("a newer Ferry is offered, installed only when asked, and Later puts the offer away", async ({
  page,
}) => {
  await start(page, {
    update: {
      state: "available",
      version: "0.2.0",
      current: "0.1.0",
      notes: "Faster downloads.",
      date: null,
    },
  });
  const banner = page.getByTestId("update-banner");
  await expect(banner).toContainText("Ferry 0.2.0 is available");
  await expect(banner).toContainText("(you have 0.1.0)");
  await expect(page.getByTestId("update-notes")).toHaveText("Faster downloads.");
  expect(await argsOf(page, "update_check")).toEqual([{ onStart: true }]);
  expect(await argsOf(page, "update_install")).toEqual([]);
  await page.getByTestId("update-install").click();
  await expect.poll(() => argsOf(page, "update_install")).toEqual([{ version: "0.2.0" }]);
  await page.getByTestId("update-later").click();
  await expect(banner).toHaveCount(0);
  await page.getByTestId("open-settings").click();
  await page.getByTestId("settings-updates").click();
  await expect(page.getByTestId("updates-state")).toContainText("Ferry 0.2.0 is available");
  await page.getByTestId("updates-check").click();
  await expect
    .poll(() => argsOf(page, "update_check"))
    .toEqual([{ onStart: true }, { onStart: false }]);
});

test("without a feed Ferry asks no one and Settings says how to get updates", async ({ page }) => {
  await start(page);
  await expect(page.getByTestId("update-banner")).toHaveCount(0);
  await page.getByTestId("open-settings").click();
  await page.getByTestId("settings-updates").click();
  await expect(page.getByTestId("updates-state")).toContainText("names no update feed");
  await expect(page.getByTestId("updates-check")).toHaveCount(0);
});

test("an s3:// link another app hands Ferry opens its workspace with the object selected", async ({
  page,
}) => {
  await start(page, {
    files: [["demo-s3", "2024/trip/rome.jpg", 1000]],
    opened: [
      {
        kind: "link",
        url: "s3://ferry-demo/2024/trip/rome.jpg",
        target: { kind: "workspace", workspace: "demo-s3", path: "2024/trip/rome.jpg" },
      },
    ],
  });
  await expect(row(page, "2024/trip/rome.jpg")).toHaveAttribute("aria-selected", "true");
  expect(await argsOf(page, "list_open")).toContainEqual({
    workspace: "demo-s3",
    path: "2024/trip/",
  });
});

test("a link no workspace reaches says so, and a handed file opens its import preview", async ({
  page,
}) => {
  await start(page, {
    opened: [
      {
        kind: "link",
        url: "s3://elsewhere/a.txt",
        target: { kind: "no_workspace", bucket: "elsewhere", key: "a.txt" },
      },
      { kind: "import", file: "team.ferry" },
    ],
  });
  await expect(page.getByText("No workspace reaches s3://elsewhere/a.txt")).toBeVisible();
  // The file's preview, without the chooser.
  await expect(page.getByTestId("import-preview")).toBeVisible();
  expect(await argsOf(page, "workspace_import_opened")).toHaveLength(1);
  expect(await argsOf(page, "workspace_import_pick")).toHaveLength(0);
});
