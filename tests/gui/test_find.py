"""Looking inside a bucket in the real window (s3s-fs): a search finds a file three folders down,
and a folder's Properties count what it holds — the same count and bytes as the server's own
listing (read with the CLI)."""
import json
import os
import subprocess

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

from conftest import APP, add_s3_workspace
from test_app import find, row, snap, tid, wait


def test_a_search_finds_a_file_three_folders_down_and_a_folder_is_counted(app, home, s3s):
    bucket = add_s3_workspace(home, s3s, "media")
    # Objects written into s3s-fs's folder are objects of the bucket.
    root = s3s["root"] / bucket
    tree = {f"projects/2024/q{q}/draft-{i}.txt": 1000 * q + i for q in range(1, 5) for i in range(6)}
    tree["projects/2024/q3/final/needle-report.txt"] = 4321
    tree["projects/readme.md"] = 77
    tree["other/needle-elsewhere.txt"] = 5
    for key, size in tree.items():
        path = root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"n" * size)

    driver = app.start()
    find(driver, f'{tid("workspace")}[data-workspace="media"]').click()
    wait(driver, "projects/ listed", lambda: row(driver, "projects/"))
    row(driver, "projects/")[0].click()
    ActionChains(driver).double_click(row(driver, "projects/")[0]).perform()
    wait(driver, "inside projects/", lambda: row(driver, "projects/readme.md"))

    box = find(driver, tid("filter"))
    box.send_keys("needle")
    box.send_keys(Keys.ENTER)
    found = wait(driver, "the file three folders down",
                 lambda: row(driver, "projects/2024/q3/final/needle-report.txt"))
    wait(driver, "the search ended", lambda: find(driver, tid("search-count"))
         .get_attribute("textContent").strip() == "1 found")
    assert "in 2024/q3/final/" in found[0].get_attribute("textContent")
    assert not row(driver, "other/needle-elsewhere.txt"), "only below the folder searched"
    found[0].click()
    snap(driver, "search.png")

    find(driver, tid("search-close")).click()
    wait(driver, "the folder again", lambda: row(driver, "projects/2024/"))
    row(driver, "projects/2024/")[0].click()
    # Alt+Enter: a folder's Properties (Enter would open it).
    ActionChains(driver).key_down(Keys.ALT).send_keys(Keys.ENTER).key_up(Keys.ALT).perform()
    size = wait(driver, "the count done",
                lambda: (lambda e: e if e.get_attribute("data-state") == "done" else None)(
                    find(driver, tid("folder-size"))))

    env = dict(os.environ, FERRY_CONFIG_DIR=str(home.config), FERRY_DATA_DIR=str(home.data))
    listed = subprocess.run([str(APP.parent / "ferry"), "ls", "-r", "--json", "media:projects/2024/"],
                            env=env, capture_output=True, text=True, check=True)
    objects = [e for e in json.loads(listed.stdout) if "size" in e and not e["key"].endswith("/")]
    total = sum(e["size"] for e in objects)
    assert len(objects) == 25
    # Digits grouped as the window's locale says (none under Xvfb's C locale).
    shown = size.get_attribute("textContent").replace(",", "").replace("\u202f", "").replace("\xa0", "")
    assert f"{len(objects)} objects" in shown, shown
    assert f"({total} bytes)" in shown, shown
    snap(driver, "folder-size.png")
