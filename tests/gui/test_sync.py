"""Sync in the real window (s3s-fs): a local folder synced to a bucket; two files changed and one
deleted locally; Compare lists exactly those three actions and changes nothing; the delete is
unticked; Run carries out the two updates and leaves the object that would have been deleted.
A file then changed on both sides is a conflict, kept both ways as chosen. Saved as a pair with a
delete limit of 0, "Run now" stops for review and deletes nothing."""
import json
import os
import subprocess

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.select import Select

from conftest import APP, add_s3_workspace
from test_app import find, row, snap, tid, wait


def open_sync(driver):
    """The Sync dialog from the path bar, on the folder shown, towards the Backup bucket's top."""
    find(driver, tid("sync")).click()
    dialog = find(driver, tid("sync-dialog"))
    Select(find(driver, tid("sync-workspace"))).select_by_value("backup")
    return dialog


def plan_rows(driver):
    return driver.find_elements(By.CSS_SELECTOR, tid("plan-row"))


def text(el) -> str:
    return " ".join(el.get_attribute("textContent").split())


def test_sync_a_folder_to_a_bucket_as_a_reviewed_plan(app, home, s3s):
    bucket = add_s3_workspace(home, s3s, "backup")
    stored = s3s["root"] / bucket
    site = home.local / "site"
    site.mkdir()
    for name in ["a.txt", "b.txt", "c.txt", "d.txt"]:
        (site / name).write_text(f"{name}: first version\n")

    # A price for the test server's provider, as a person would set it.
    path = home.config / "settings.json"
    settings = json.loads(path.read_text())
    settings["prices"] = {"custom": {"write_per_1000": 0.005, "read_per_1000": 0.0004,
                                     "list_per_1000": 0.005, "delete_per_1000": 0,
                                     "egress_per_gb": 0.09}}
    path.write_text(json.dumps(settings, indent=2))

    driver = app.start()
    wait(driver, "site/ listed", lambda: row(driver, "site/"))
    row(driver, "site/")[0].click()
    ActionChains(driver).double_click(row(driver, "site/")[0]).perform()
    wait(driver, "inside site/", lambda: row(driver, "site/d.txt"))

    # The first sync: four new files.
    open_sync(driver)
    find(driver, tid("sync-compare")).click()
    summary = find(driver, tid("plan-summary"))
    wait(driver, "the first plan", lambda: text(summary).startswith("4 new · 0 changed"))
    find(driver, tid("sync-run")).click()
    wait(driver, "the first sync in the bucket", lambda: all(
        (stored / n).exists() for n in ["a.txt", "b.txt", "c.txt", "d.txt"]))
    wait(driver, "the dialog closed", lambda: not driver.find_elements(By.CSS_SELECTOR, tid("sync-dialog")))

    # Two files changed and one deleted here.
    (site / "a.txt").write_text("a.txt: second version, longer\n")
    (site / "b.txt").write_text("b.txt: second version, longer too\n")
    (site / "c.txt").unlink()

    open_sync(driver)
    find(driver, tid("sync-delete")).click()
    find(driver, tid("sync-compare")).click()
    summary = find(driver, tid("plan-summary"))
    wait(driver, "the plan", lambda: text(summary) ==
         "0 new · 2 changed · 1 to delete · 0 conflicts · 1 unchanged")
    actions = sorted((r.get_attribute("data-action"), r.get_attribute("data-destination"))
                     for r in plan_rows(driver))
    assert actions == [("delete", "c.txt"), ("update", "a.txt"), ("update", "b.txt")], actions
    # Comparing changed nothing.
    assert (stored / "a.txt").read_text() == "a.txt: first version\n"
    assert (stored / "c.txt").exists()
    estimate = text(find(driver, tid("plan-estimate")))
    assert "3 action(s) ticked" in estimate and "request(s)" in estimate, estimate
    snap(driver, "sync-plan.png")

    # Untick the delete, then run exactly the two updates.
    delete_row = next(r for r in plan_rows(driver) if r.get_attribute("data-destination") == "c.txt")
    delete_row.find_element(By.CSS_SELECTOR, tid("plan-tick")).click()
    run = find(driver, tid("sync-run"))
    wait(driver, "Run 2", lambda: text(run) == "Run 2")
    run.click()
    wait(driver, "the updates in the bucket", lambda:
         (stored / "a.txt").read_text() == "a.txt: second version, longer\n"
         and (stored / "b.txt").read_text() == "b.txt: second version, longer too\n")
    jobs = wait(driver, "the sync job completed", lambda: driver.find_elements(
        By.CSS_SELECTOR, f'{tid("job")}[data-status="completed"]'))
    assert len(jobs) == 2, [text(j) for j in jobs]
    assert (stored / "c.txt").read_text() == "c.txt: first version\n", "the unticked delete was done"
    assert (stored / "d.txt").read_text() == "d.txt: first version\n"

    # d.txt changed here and, meanwhile, in the bucket: a conflict, decided as "keep both".
    (site / "d.txt").write_text("d.txt: ours, changed here\n")
    theirs = home.root / "theirs.txt"
    theirs.write_text("d.txt: theirs, changed in the bucket\n")
    env = dict(os.environ, FERRY_CONFIG_DIR=str(home.config), FERRY_DATA_DIR=str(home.data))
    put = subprocess.run([str(APP.parent / "ferry"), "cp", "--overwrite", str(theirs), "backup:d.txt"],
                         env=env, capture_output=True, text=True)
    assert put.returncode == 0, put.stderr
    open_sync(driver)
    find(driver, tid("sync-compare")).click()
    summary = find(driver, tid("plan-summary"))
    wait(driver, "the conflict", lambda: text(summary) ==
         "0 new · 0 changed · 0 to delete · 1 conflicts · 2 unchanged")
    conflict = next(r for r in plan_rows(driver) if r.get_attribute("data-destination") == "d.txt")
    assert conflict.get_attribute("data-action") == "conflict"
    run = find(driver, tid("sync-run"))
    assert not run.is_enabled(), "a conflict nobody decided must hold the run"
    # Priced from the table in settings.json (a custom provider's line, set by the test).
    estimate = text(find(driver, tid("plan-estimate")))
    assert "estimated < $0.001" in estimate and "S3-compatible: 1 writes" in estimate, estimate
    Select(conflict.find_element(By.CSS_SELECTOR, tid("plan-choice"))).select_by_value("rename")
    snap(driver, "sync-conflict.png")
    wait(driver, "Run 1", lambda: run.is_enabled() and text(run) == "Run 1")
    run.click()
    wait(driver, "both kept", lambda: (stored / "d (1).txt").exists()
         and (stored / "d (1).txt").read_text() == "d.txt: ours, changed here\n")
    assert (stored / "d.txt").read_text() == "d.txt: theirs, changed in the bucket\n"

    # Saved as a pair that may delete no file unattended: Run now stops for review.
    open_sync(driver)
    find(driver, tid("sync-delete")).click()
    find(driver, tid("sync-save-pair")).click()
    find(driver, tid("pair-name")).send_keys("Site backup")
    limit = find(driver, tid("pair-max-deletes"))
    limit.clear()
    limit.send_keys("0")
    find(driver, tid("pair-every")).send_keys("30")
    find(driver, tid("pair-save")).click()
    pair = find(driver, f'{tid("pair")}[data-pair="Site backup"]')
    settings = (home.config / "settings.json").read_text()
    assert '"name": "Site backup"' in settings and '"max_deletes": 0' in settings, settings
    driver.find_elements(By.CSS_SELECTOR, ".modal footer button")[1].click()  # Cancel
    wait(driver, "the dialog closed", lambda: not driver.find_elements(By.CSS_SELECTOR, tid("sync-dialog")))
    pair.click()
    find(driver, tid("pair-run")).click()
    last = find(driver, f'{tid("pair")}[data-pair="Site backup"] {tid("pair-last")}')
    wait(driver, "stopped for review", lambda: "needs review" in text(last))
    assert (stored / "c.txt").exists(), "a pair over its delete limit deleted"
    snap(driver, "sync-pairs.png")
