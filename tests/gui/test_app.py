"""A new user's first session in the real window: add an S3 workspace in the settings dialog,
test the connection, browse it, upload, download and delete a file — with the keychain and an
S3 server that checks signatures."""

import json
import os
import subprocess
import time
import uuid

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from conftest import SCREENSHOTS

TIMEOUT = 30


def wait(driver, what, predicate, timeout=TIMEOUT):
    """Polls `predicate` until it returns something truthy; fails naming `what`."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            got = predicate()
            if got:
                return got
        except Exception as e:  # the element may be re-rendered between find and read
            last = e
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what} (last error: {last})")


# Read text with get_attribute("textContent"): WebKitWebDriver reports "" for elements whose text
# is clipped with `text-overflow: ellipsis`.
def find(driver, css, timeout=TIMEOUT):
    return wait(driver, css, lambda: [e for e in driver.find_elements(By.CSS_SELECTOR, css) if e.is_displayed()], timeout)[0]


def tid(name):
    return f'[data-testid="{name}"]'


def snap(driver, name, element=None):
    """Saves a screenshot once transitions have ended (a progress bar still growing would show a
    done job part-filled) and the window has painted what the DOM holds (WebKit may otherwise
    hand back the previous frame)."""
    driver.set_script_timeout(5)
    driver.execute_async_script(
        """const done = arguments[0];
        const running = (document.getAnimations ? document.getAnimations() : [])
          .filter((a) => a.effect && a.effect.getTiming().iterations !== Infinity);
        Promise.all(running.map((a) => a.finished.catch(() => null))).then(() =>
          requestAnimationFrame(() => requestAnimationFrame(() => done())));"""
    )
    driver.save_screenshot(str(SCREENSHOTS / name))
    if element is not None:
        # WebKitWebDriver's element screenshots come back black: crop the window's instead.
        r = element.rect
        box = f"{int(r['width'])}x{int(r['height'])}+{int(r['x'])}+{int(r['y'])}"
        subprocess.run(["convert", str(SCREENSHOTS / name), "-crop", box, "+repage", str(SCREENSHOTS / name)], check=True)


def report(test, **counts):
    """Adds a line to the reliability report (scripts/reliability-report) when one is kept."""
    path = os.environ.get("FERRY_RELIABILITY_REPORT")
    if path:
        line = {"test": test, "failed": False, "faults": 0, "jobs": 0, "files_verified": 0,
                "bytes_lost": 0, "secrets_found": 0, "grant_escapes": 0, "panics": 0, **counts}
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps(line) + "\n")


def row(driver, path):
    return driver.find_elements(By.CSS_SELECTOR, f'{tid("row")}[data-path="{path}"]')


# Tauri's invoke cannot be replaced (it is read-only), but its answers travel over fetch to the
# ipc:// protocol, so the spy wraps fetch and keeps a copy of every IPC answer's text.
SPY = """
if (!window.__ipcLog) {
  window.__ipcLog = [];
  const original = window.fetch.bind(window);
  window.fetch = async (input, init) => {
    const response = await original(input, init);
    const url = String(input && input.url ? input.url : input);
    if (url.startsWith("ipc:") || url.includes("ipc.localhost")) {
      const cmd = decodeURIComponent(url.split("/").pop().split("?")[0]);
      window.__ipcLog.push({ cmd, answer: await response.clone().text() });
    }
    return response;
  };
}
return true;
"""


def test_first_session_with_an_s3_workspace(driver, home, s3s):
    bucket = f"gui-{uuid.uuid4().hex[:10]}"
    (s3s["root"] / bucket).mkdir()

    # The default local workspace is there, with its file.
    find(driver, f'{tid("workspace")}[data-workspace="local"]')
    wait(driver, "hello.txt in the local workspace", lambda: row(driver, "hello.txt"))
    assert driver.execute_script(SPY)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    # Settings → Add workspace, typed as a person would.
    find(driver, tid("open-settings")).click()
    find(driver, tid("add-workspace")).click()
    find(driver, tid("field-name")).send_keys("Team bucket")
    Select(find(driver, tid("field-provider"))).select_by_value("custom")
    endpoint = find(driver, tid("field-endpoint_url"))
    endpoint.send_keys(s3s["url"])
    find(driver, tid("field-bucket")).send_keys(bucket)
    find(driver, tid("field-access-key")).send_keys(s3s["key"])
    find(driver, tid("field-secret")).send_keys(s3s["secret"])

    # The engine checks the form a moment after typing stops; until then the button may wait.
    test = find(driver, tid("test-connection"))
    wait(driver, "Test connection to be enabled", test.is_enabled)
    test.click()
    result = find(driver, f'{tid("test-result")}[data-ok="true"]')
    assert "connect" in result.text and "write" in result.text
    snap(driver, "settings.png")

    find(driver, tid("save-workspace")).click()
    ws = wait(
        driver,
        "the new workspace in the sidebar",
        lambda: driver.find_elements(By.CSS_SELECTOR, f'{tid("workspace")}[data-workspace="team-bucket"]'),
    )[0]
    wait(driver, "'Set' for the stored key", lambda: "Set" in find(driver, tid("secret-status")).text)
    assert find(driver, tid("field-secret")).get_attribute("value") == ""
    find(driver, '[data-testid="settings-dialog"] button[aria-label="Close"]').click()

    # The secret is in the keychain and nowhere else.
    settings_text = (home.config / "settings.json").read_text()
    assert s3s["secret"] not in settings_text
    assert '"source": "keychain"' in settings_text
    stored = subprocess.run(
        ["secret-tool", "search", "--all", "service", "ferry"], capture_output=True, text=True
    )
    assert s3s["secret"] in stored.stdout + stored.stderr, "the secret should be in the keychain"

    # Browse the (empty) bucket and upload through the app (the file chooser is bypassed).
    ws.click()
    find(driver, tid("empty"))
    find(driver, tid("upload-files")).click()
    name = home.upload.name
    wait(driver, "the uploaded file listed", lambda: row(driver, name))
    job = find(driver, f'{tid("job")}[data-status="completed"]')
    snap(driver, "main-window.png")
    title = job.find_element(By.CSS_SELECTOR, ".title").get_attribute("textContent")
    assert title == f"Upload {name}", title
    stored_object = s3s["root"] / bucket / name
    assert stored_object.read_bytes() == home.upload.read_bytes()

    # Download it to a folder (the chooser is bypassed) and compare.
    row(driver, name)[0].click()
    find(driver, tid("download")).click()
    downloaded = home.downloads / name
    wait(driver, "the download on disk", lambda: downloaded.exists() and downloaded.stat().st_size == home.upload.stat().st_size)
    wait(driver, "two finished jobs", lambda: len(driver.find_elements(By.CSS_SELECTOR, f'{tid("job")}[data-status="completed"]')) == 2)
    assert downloaded.read_bytes() == home.upload.read_bytes()
    snap(driver, "transfer-panel.png", find(driver, tid("transfer-panel")))

    # Delete it: the dialog names it, and it is gone from the list and the server.
    row(driver, name)[0].click()
    driver.find_element(By.TAG_NAME, "body").send_keys(Keys.DELETE)
    listed = find(driver, tid("delete-list"))
    assert name in listed.text
    find(driver, tid("confirm-delete")).click()
    wait(driver, "the row to go", lambda: not row(driver, name))
    assert not stored_object.exists()

    # Nothing that came back over IPC carried the secret.
    log = driver.execute_script("return window.__ipcLog")
    assert len(log) > 10, log
    commands = {entry["cmd"] for entry in log}
    assert {"settings_get", "workspace_save", "workspace_test", "list_open"} <= commands, commands
    leaks = [entry["cmd"] for entry in log if s3s["secret"] in entry["answer"]]
    report("gui/ipc answers to the web view", jobs=2, secrets_found=len(leaks), files_verified=2)
    assert not leaks, f"the secret came back from {leaks}"
    assert s3s["secret"] not in driver.page_source


def test_hand_edits_are_picked_up_and_a_broken_file_is_shown_not_overwritten(driver, home):
    find(driver, f'{tid("workspace")}[data-workspace="local"]')
    path = home.config / "settings.json"

    # A hand edit while the app runs (a rename) shows up without a restart.
    settings = json.loads(path.read_text())
    settings["workspaces"][0]["name"] = "Renamed by hand"
    path.write_text(json.dumps(settings, indent=2))
    wait(driver, "the new name in the sidebar", lambda: "Renamed by hand" in find(driver, tid("workspace")).get_attribute("textContent"))

    # A broken file: the app says where, offers to open it, and never writes it.
    broken = path.read_text().replace('"version": 1,', '"version": 1,,')
    path.write_text(broken)
    banner = find(driver, tid("settings-banner"))
    assert "line 2" in banner.get_attribute("textContent"), banner.get_attribute("textContent")
    find(driver, tid("open-settings")).click()
    problem = find(driver, tid("settings-problem"))
    assert "Open settings.json" in problem.get_attribute("textContent")
    assert path.read_text() == broken

    # Fixed again: the banner goes and the workspaces come back.
    path.write_text(json.dumps(settings, indent=2))
    wait(driver, "the banner to go", lambda: not driver.find_elements(By.CSS_SELECTOR, tid("settings-banner")))
