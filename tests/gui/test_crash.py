"""kill -9 of the real app in the middle of an upload, at a seeded point (after K parts are
recorded in the journal): the restarted app shows the job as interrupted, resumes it, and the
object on the server is byte-identical to the file."""

import os
import random
import sqlite3

from selenium.webdriver.common.by import By

from conftest import add_s3_workspace
from test_app import find, report, tid, wait

# Several points per CI run would each cost an app start; the point moves with the seed.
SEED = int(os.environ.get("FERRY_GUI_SEED", "7"))


def parts_recorded(journal):
    if not journal.exists():
        return 0
    with sqlite3.connect(f"file:{journal}?mode=ro", uri=True) as db:
        try:
            return db.execute("SELECT COUNT(*) FROM parts").fetchone()[0]
        except sqlite3.OperationalError:  # the schema is being created
            return 0


def test_kill_9_mid_upload_then_resume_in_the_restarted_app(app, home, s3s):
    # Many small parts, one at a time: a long upload with many places to die.
    bucket = add_s3_workspace(home, s3s, "crash",
                              {"part_size_mib": 5, "multipart_threshold_mib": 5, "part_concurrency": 1})
    big = home.picks / "big.bin"
    big.write_bytes(os.urandom(120 * 1024 * 1024))
    app.pick_files = big
    k = random.Random(SEED).randint(2, 12)

    driver = app.start()
    find(driver, f'{tid("workspace")}[data-workspace="crash"]').click()
    find(driver, tid("empty"))
    find(driver, tid("upload-files")).click()
    journal = home.data / "journal.sqlite"
    wait(driver, f"{k} parts recorded", lambda: parts_recorded(journal) >= k, timeout=120)
    app.kill()
    stored = s3s["root"] / bucket / "big.bin"
    assert not stored.exists(), "the upload was cut short before it completed"

    driver = app.start()
    job = find(driver, f'{tid("job")}[data-status="interrupted"]')
    job.find_element(By.CSS_SELECTOR, 'button[aria-label="Resume"]').click()
    find(driver, f'{tid("job")}[data-status="completed"]', timeout=180)
    assert stored.read_bytes() == big.read_bytes(), "the resumed upload is byte-identical"
    report("gui/kill -9 of the app mid-upload", faults=1, jobs=2, files_verified=1)
