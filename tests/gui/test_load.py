"""The window stays responsive while a large job runs: with an upload of 5,000 files under way,
another workspace can be opened and browsed, and the job then completes with every file."""

from conftest import add_s3_workspace
from test_app import find, report, row, snap, tid, wait


def test_the_window_answers_while_a_large_upload_runs(app, home, s3s):
    bucket = add_s3_workspace(home, s3s, "bulk")
    tree = home.picks / "many"
    for i in range(5000):
        folder = tree / f"d{i % 50:02}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"f{i:05}.txt").write_text(f"small file {i}\n")
    app.pick_folder = tree

    driver = app.start()
    find(driver, f'{tid("workspace")}[data-workspace="bulk"]').click()
    find(driver, tid("empty"))
    find(driver, tid("upload-folder")).click()
    find(driver, f'{tid("job")}[data-status="running"]')
    # While it runs: another workspace opens and lists, and this one lists what has arrived.
    find(driver, f'{tid("workspace")}[data-workspace="local"]').click()
    wait(driver, "the local workspace's file", lambda: row(driver, "hello.txt"))
    assert driver.find_elements("css selector", f'{tid("job")}[data-status="running"]'), \
        "the job was still running while the window answered"
    snap(driver, "busy-window.png")
    find(driver, f'{tid("workspace")}[data-workspace="bulk"]').click()
    wait(driver, "the uploading folder listed", lambda: row(driver, "many/") or row(driver, "many"))
    find(driver, f'{tid("job")}[data-status="completed"]', timeout=300)
    stored = sorted(p.relative_to(s3s["root"] / bucket / "many") for p in (s3s["root"] / bucket / "many").rglob("*.txt"))
    assert len(stored) == 5000, len(stored)
    for p in stored[::500]:
        i = int(p.name[1:6])
        assert (s3s["root"] / bucket / "many" / p).read_text() == f"small file {i}\n"
    report("gui/window responsive during a 5,000-file upload", jobs=1, files_verified=len(stored[::500]))
