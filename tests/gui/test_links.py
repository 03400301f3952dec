"""What other apps hand Ferry, as the desktop does it (the menu entry's `ferry-desktop %u`):
with Ferry open, a second start with an s3:// link hands it over and ends, and the open
window shows the object selected in its folder; a link no workspace reaches is said so; a
.ferry file someone shared opens Settings → Import with its preview, and is added on a yes."""
import json
import os
import subprocess

from conftest import APP, add_s3_workspace
from test_app import find, row, snap, tid, wait


def hand_over(app, home, *args):
    """Starts Ferry again as the desktop would, with `args`; it must pass them on and end."""
    env = dict(os.environ, FERRY_CONFIG_DIR=str(home.config), FERRY_DATA_DIR=str(home.data),
               XDG_CONFIG_HOME=str(home.root / "xdg-config"),
               XDG_CACHE_HOME=str(home.root / "xdg-cache"))
    second = subprocess.run([str(APP), *args], env=env, capture_output=True, text=True,
                            timeout=60, cwd=home.root)
    assert second.returncode == 0, second.stderr[-2000:]
    assert app.running(), "the first Ferry went away"


def test_links_and_shared_workspaces_open_in_the_running_ferry(app, home, s3s):
    bucket = add_s3_workspace(home, s3s, "media")
    trip = s3s["root"] / bucket / "2024" / "trip"
    trip.mkdir(parents=True)
    (trip / "rome.jpg").write_bytes(b"not really a jpeg")
    (trip / "paris.jpg").write_bytes(b"nor this")
    # The new workspace's endpoint (on this machine) is asked for in a native dialog.
    app.confirm = "ok"
    driver = app.start()
    find(driver, tid("file-list"))
    first = app.pid()

    hand_over(app, home, f"s3://{bucket}/2024/trip/rome.jpg")
    wait(driver, "the linked object selected",
         lambda: [r for r in row(driver, "2024/trip/rome.jpg")
                  if r.get_attribute("aria-selected") == "true"])
    assert row(driver, "2024/trip/paris.jpg"), "its folder is shown"
    assert app.pid() == first, "a second Ferry stayed"
    snap(driver, "open-link.png")

    # A folder named without its slash opens; an object that is not there is said so.
    hand_over(app, home, f"s3://{bucket}/2024")
    wait(driver, "the 2024 folder", lambda: row(driver, "2024/trip/"))
    hand_over(app, home, f"s3://{bucket}/2024/trip/venice.jpg")
    gone = wait(driver, "the missing object said so", lambda: [
        t for t in driver.find_elements("css selector", tid("toast"))
        if "venice.jpg is not there" in t.get_attribute("textContent")])
    assert gone and row(driver, "2024/trip/rome.jpg"), "its folder is shown"
    # A name that is not UTF-8 (a file that does not exist) is refused, not a crash.
    hand_over(app, home, os.fsdecode(b"\xffnot-here.ferry"))
    wait(driver, "the odd name refused", lambda: [
        t for t in driver.find_elements("css selector", tid("toast"))
        if "not a file Ferry can open" in t.get_attribute("textContent")])

    hand_over(app, home, "s3://no-such-bucket-here/a.txt")
    wait(driver, "no workspace said so", lambda: [
        t for t in driver.find_elements("css selector", tid("toast"))
        if "No workspace reaches s3://no-such-bucket-here/a.txt" in t.get_attribute("textContent")])
    # Settings opens on Add workspace for it.
    find(driver, tid("workspace-editor"))

    # A workspace someone shared as a .ferry file (its settings, no keys).
    shared = home.root / "team-media.ferry"
    exported = subprocess.run(
        [str(APP.parent / "ferry"), "workspace", "export", "media", "-o", str(shared)],
        env=dict(os.environ, FERRY_CONFIG_DIR=str(home.config), FERRY_DATA_DIR=str(home.data)),
        capture_output=True, text=True)
    assert exported.returncode == 0, exported.stderr
    doc = json.loads(shared.read_text())
    doc["workspace"]["name"] = "Team media"
    shared.write_text(json.dumps(doc))
    # Handed by a relative name with a colon in it (not a URL: the file is there).
    colon = home.root / "team:media.ferry"
    shared.rename(colon)
    hand_over(app, home, "team:media.ferry")
    preview = find(driver, tid("import-preview"))
    text = " ".join(preview.get_attribute("textContent").split())
    assert "(a Ferry workspace file) adds 1 workspace(s)" in text, text
    assert "Team media" in text, text
    find(driver, tid("import-add")).click()
    wait(driver, "the shared workspace added",
         lambda: any(w["name"] == "Team media"
                     for w in json.loads((home.config / "settings.json").read_text())["workspaces"]))
    added = [w for w in json.loads((home.config / "settings.json").read_text())["workspaces"]
             if w["name"] == "Team media"][0]
    assert added["storage"]["bucket"] == bucket and added["id"] != "media", added
