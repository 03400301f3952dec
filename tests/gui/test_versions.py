"""Versions in the real window, on a server that keeps them (moto): a file overwritten from the
command line, its old version restored from the Versions tab of Properties, then downloaded
through the app — byte for byte the old version."""
import json
import os
import subprocess
import uuid

from selenium.webdriver.common.by import By

from conftest import APP
from test_app import find, row, snap, tid, wait


def ferry(home, *args):
    env = dict(os.environ, FERRY_CONFIG_DIR=str(home.config), FERRY_DATA_DIR=str(home.data))
    run = subprocess.run([str(APP.parent / "ferry"), *args], env=env, capture_output=True, text=True,
                         input="FERRYGUIKEY\nferry-gui-secret\n")
    assert run.returncode == 0, f"ferry {' '.join(args)}: {run.stdout}{run.stderr}"
    return run.stdout


def test_an_overwritten_file_is_restored_from_its_versions_and_downloaded(app, home):
    moto = os.environ.get("FERRY_TEST_MOTO_URL")
    assert moto, "FERRY_TEST_MOTO_URL is not set: run through scripts/with-test-servers"
    bucket = f"gui-versions-{uuid.uuid4().hex[:10]}"
    path = home.config / "settings.json"
    settings = json.loads(path.read_text())
    settings["workspaces"].append({
        "id": "archive", "name": "Archive",
        "storage": {"type": "s3", "bucket": bucket, "region": "us-east-1", "endpoint_url": moto,
                    "path_style": True, "credentials": {"source": "keychain"}},
    })
    path.write_text(json.dumps(settings, indent=2))
    ferry(home, "secret", "set", "archive")
    ferry(home, "buckets", "archive", "--create", bucket)
    assert "on:" in ferry(home, "versioning", "archive", "on")
    first, second = home.root / "first.txt", home.root / "second.txt"
    first.write_bytes(b"the report as it was first written\n" * 100)
    second.write_bytes(b"an overwrite that lost the original\n" * 50)
    ferry(home, "cp", str(first), "archive:report.txt")
    ferry(home, "cp", "--overwrite", str(second), "archive:report.txt")

    driver = app.start()
    find(driver, f'{tid("workspace")}[data-workspace="archive"]').click()
    wait(driver, "report.txt listed", lambda: row(driver, "report.txt"))
    row(driver, "report.txt")[0].click()
    # Alt+Enter: Properties (a double-click shows the preview).
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys
    ActionChains(driver).key_down(Keys.ALT).send_keys(Keys.ENTER).key_up(Keys.ALT).perform()
    find(driver, tid("versions-tab")).click()
    versions = wait(driver, "two versions", lambda: (lambda v: v if len(v) == 2 else None)(
        driver.find_elements(By.CSS_SELECTOR, tid("version"))))
    assert "Current" in versions[0].get_attribute("textContent")
    older = versions[1]
    older.find_element(By.XPATH, ".//button[normalize-space()='Restore']").click()
    wait(driver, "three versions after the restore",
         lambda: len(driver.find_elements(By.CSS_SELECTOR, tid("version"))) == 3)
    snap(driver, "versions.png")
    find(driver, '[data-testid="properties-dialog"] button[aria-label="Close"]').click()

    row(driver, "report.txt")[0].click()
    find(driver, tid("download")).click()
    downloaded = home.downloads / "report.txt"
    wait(driver, "the download on disk",
         lambda: downloaded.exists() and downloaded.stat().st_size == first.stat().st_size)
    wait(driver, "the download job done",
         lambda: driver.find_elements(By.CSS_SELECTOR, f'{tid("job")}[data-status="completed"]'))
    assert downloaded.read_bytes() == first.read_bytes()
