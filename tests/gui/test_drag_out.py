"""Dragging rows out of the real window with the real pointer (xdotool) onto another app's
window (a GTK drop target standing in for a file manager): a local workspace's file arrives as
itself, an S3 object as its downloaded copy — each as a file:// URI with its name escaped."""
import json
import subprocess
import time
from pathlib import Path

from conftest import add_s3_workspace
from test_app import find, row, tid, wait

HERE = Path(__file__).resolve().parent
SYSTEM_PYTHON = "/usr/bin/python3"

# xdotool and GTK's Python bindings come with scripts/setup; missing, this test fails rather
# than skips, so a drag out that broke cannot pass unseen.


def drag(driver, path: str, to: tuple[int, int]) -> None:
    """Presses on the row, moves the real pointer to `to` in steps, and lets go."""
    el = row(driver, path)[0]
    box = driver.execute_script(
        "const r = arguments[0].getBoundingClientRect(); return [r.left + 40, r.top + r.height / 2];", el)
    win = driver.get_window_rect()
    # The window's content starts at its top-left corner under Xvfb (no decorations).
    x, y = int(win["x"] + box[0]), int(win["y"] + box[1])
    subprocess.run(["xdotool", "mousemove", str(x), str(y)], check=True)
    subprocess.run(["xdotool", "mousedown", "1"], check=True)
    for i in range(1, 21):
        subprocess.run(["xdotool", "mousemove", str(x + (to[0] - x) * i // 20), str(y + (to[1] - y) * i // 20)],
                       check=True)
        time.sleep(0.05)  # a pointer moving at a person's pace: GTK and XDND react to motion
    time.sleep(0.3)
    subprocess.run(["xdotool", "mouseup", "1"], check=True)


def drops(record: Path) -> list[dict]:
    return [json.loads(line) for line in record.read_text().splitlines()] if record.exists() else []


def test_rows_dragged_out_arrive_as_files(app, home, s3s):
    bucket = add_s3_workspace(home, s3s, "media")
    (s3s["root"] / bucket / "report #1 100%.txt").write_text("from the bucket\n")
    (home.local / "local note.txt").write_text("from the local workspace\n")
    driver = app.start()
    wait(driver, "the local file listed", lambda: row(driver, "local note.txt"))

    record = home.root / "drops.jsonl"
    target = subprocess.Popen([SYSTEM_PYTHON, str(HERE / "drop_target.py"), str(record), "960", "520"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert target.stdout.readline().strip() == "ready"
        time.sleep(0.5)
        drag(driver, "local note.txt", (1080, 640))
        got = wait(driver, "the local file dropped", lambda: drops(record))
        path = str(home.local / "local note.txt")
        assert got[0]["files"] == {path: "from the local workspace\n"}, got
        assert got[0]["uris"] == [Path(path).as_uri()]

        find(driver, f'{tid("workspace")}[data-workspace="media"]').click()
        wait(driver, "the object listed", lambda: row(driver, "report #1 100%.txt"))
        drag(driver, "report #1 100%.txt", (1080, 640))
        got = wait(driver, "the object dropped", lambda: (lambda d: d if len(d) == 2 else None)(drops(record)))
        (uri,) = got[1]["uris"]
        assert uri.endswith("/report%20%231%20100%25.txt"), uri
        assert list(got[1]["files"].values()) == ["from the bucket\n"], got
    finally:
        target.terminate()
