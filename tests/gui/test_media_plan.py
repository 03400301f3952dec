"""A media-planning workspace moved to S3 in the real window (s3s-fs): its settings file,
chosen with Import…, becomes a local workspace that remembers the file; Move plans… shows the
plan (from, into, the storage section before and after) before anything moves; into an S3
workspace Ferry has, the plans arrive in its bucket, and only then does the file say s3 — its
other fields as they were, a .bak beside it."""
import json

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from conftest import add_s3_workspace
from test_app import find, snap, tid, wait


def test_move_plans_to_s3_rewrites_only_the_storage_section(app, home, s3s):
    bucket = add_s3_workspace(home, s3s, "campaigns")
    plans = home.root / "plans"
    (plans / "mediaplans").mkdir(parents=True)
    (plans / "mediaplans" / "mediaplan_1.json").write_text('{"meta": {"id": "mediaplan_1"}}')
    (plans / "mediaplans" / "mediaplan_1.parquet").write_bytes(b"PAR1 not really PAR1")
    settings_file = home.root / "import-me"
    original = (
        "{\n"
        '  "workspace_id": "workspace_abc123",\n'
        '  "workspace_name": "Campaign plans",\n'
        '  "storage": {\n'
        '    "mode": "local",\n'
        f'    "local": {{ "base_path": "{plans}", "create_if_missing": true }},\n'
        '    "s3": { "bucket": "", "region": "", "prefix": "workspace_abc123" }\n'
        "  },\n"
        '  "database": { "enabled": false, "host": "localhost" }\n'
        "}\n"
    )
    settings_file.write_text(original)
    # The folder the file names is asked for in a native dialog (answered by the test build).
    app.confirm = "ok"
    driver = app.start()
    find(driver, tid("open-settings")).click()
    find(driver, tid("import-workspaces")).click()
    find(driver, tid("import-choose")).click()
    preview = find(driver, tid("import-preview"))
    assert "(a media-planning workspace settings file) adds 1 workspace(s)" in preview.text, preview.text
    find(driver, tid("import-add")).click()

    row = find(driver, tid("media-plan"))
    assert str(settings_file) in row.text, row.text
    find(driver, tid("media-plan-move")).click()
    # The file's own s3 block names no bucket: said, and a workspace can be chosen instead.
    error = find(driver, tid("media-plan-error"))
    assert "names no bucket" in error.text, error.text
    Select(find(driver, tid("media-plan-into"))).select_by_value("campaigns")
    title = find(driver, tid("media-plan-title"))
    assert title.text == "Move plans to S3", title.text
    after = find(driver, tid("media-plan-after")).text
    assert f'"bucket": "{bucket}"' in after and '"mode": "s3"' in after, after
    notes = " ".join(n.text for n in driver.find_elements(By.CSS_SELECTOR, tid("media-plan-note")))
    assert "the SDK does not read" in notes and "as a backup" in notes, notes
    assert settings_file.read_text() == original, "changed before the yes"
    assert not (s3s["root"] / bucket / "mediaplans").exists(), "moved before the yes"
    snap(driver, "media-plan-move.png")

    start = find(driver, tid("media-plan-start"))
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", start)
    start.click()
    find(driver, tid("media-plan-started"))
    wait(driver, "the settings file set to s3",
         lambda: '"mode": "s3"' in settings_file.read_text())
    moved = s3s["root"] / bucket / "mediaplans"
    assert (moved / "mediaplan_1.json").read_text() == '{"meta": {"id": "mediaplan_1"}}'
    assert (moved / "mediaplan_1.parquet").read_bytes() == b"PAR1 not really PAR1"
    now = settings_file.read_text()
    assert (home.root / "import-me.bak").read_text() == original
    assert now.startswith(original.split('"mode"')[0]), now
    assert now.endswith('  },\n  "database": { "enabled": false, "host": "localhost" }\n}\n'), now
    block = json.loads(now)["storage"]["s3"]
    assert block["bucket"] == bucket and block["endpoint_url"] == s3s["url"], block
    assert block["use_ssl"] is False and block["prefix"] == "", block
    # The local files stay, as a backup.
    assert (plans / "mediaplans" / "mediaplan_1.json").exists()
    note = find(driver, tid("job-note"))
    assert "now keeps its plans in s3 storage" in note.text, note.text
