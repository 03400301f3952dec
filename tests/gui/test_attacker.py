"""The real window with a page that behaves like an attacker: script injected into the web view
calls Ferry's commands directly (window.__TAURI_INTERNALS__.invoke), as a WebKit or dependency
bug would let it. Each attempt to reach a path the person did not choose, or to send stored keys
to another host, must be refused with a typed error and change nothing. Every attempt that is
not refused is counted as a grant escape in the reliability report (which must say 0)."""

import http.server
import json
import os
import threading
from pathlib import Path

from conftest import add_s3_workspace
from test_app import find, report, tid

INVOKE = """
const [cmd, args, done] = arguments;
window.__TAURI_INTERNALS__.invoke(cmd, args).then(
  (ok) => done({ ok }),
  (err) => done({ err }),
);
"""


BOTH = """
const [cmd, first, second, done] = arguments;
const call = (args) => window.__TAURI_INTERNALS__.invoke(cmd, args).then((ok) => ({ ok }), (err) => ({ err }));
Promise.all([call(first), call(second)]).then(done);
"""


def invoke_both(driver, cmd, first, second):
    """Two calls at once, as a page racing for one grant would make them."""
    driver.set_script_timeout(60)
    return driver.execute_async_script(BOTH, cmd, first, second)


def invoke(driver, cmd, **args):
    """Calls a command as the page can; returns {"ok": answer} or {"err": {code, message, hint}}."""
    driver.set_script_timeout(60)
    return driver.execute_async_script(INVOKE, cmd, args)


class Attempts:
    """Attacks that must each be refused with `not_granted` (or the code given)."""

    def __init__(self, name):
        self.name = name
        self.escapes = []
        self.tried = 0

    def refused(self, answer, what, code="not_granted"):
        self.tried += 1
        err = answer.get("err")
        if not err or err.get("code") != code:
            self.escapes.append(f"{what}: {answer}")
        return err

    def done(self, **counts):
        report(f"gui/{self.name}", grant_escapes=len(self.escapes), cases=self.tried, **counts)
        assert not self.escapes, "\n".join(self.escapes)


def local_form(name, base_path, ws_id=""):
    return {
        "id": ws_id, "name": name, "kind": "local", "base_path": str(base_path), "bucket": "", "prefix": "",
        "region": "", "endpoint_url": "", "path_style": False, "credentials": "keychain", "profile": "",
        "sse": "", "kms_key_id": "", "storage_class": "", "acl": "", "cache_control": "",
        "public_base_url": "", "checksums": "",
        "upload_gzip": False, "key_template": "", "entity": "", "max_file_size_mb": "",
        "file_overwrite": True,
    }


def test_a_page_cannot_point_a_workspace_at_an_unchosen_folder(app, home):
    """`workspace_save` with `/`, `$HOME` or any typed folder needs the folder chooser's grant or
    the person's yes in a dialog the app draws (answered "cancel" here); the default `local`
    workspace too. A chosen folder is saved, once: the grant ends with the save."""
    driver = app.start()
    find(driver, tid("workspace"))
    settings = home.config / "settings.json"
    before = settings.read_bytes()
    attempts = Attempts("workspace folders from script")
    for target in ["/", str(Path.home()), str(home.root), str(home.picks)]:
        new = invoke(driver, "workspace_save", form=local_form("Mine", target), secret=None)
        err = attempts.refused(new, f"new workspace at {target}")
        if err:
            assert target in err["message"], err
        local = invoke(driver, "settings_get")["ok"]["workspaces"][0]["form"]
        assert local["id"] == "local"
        moved = invoke(driver, "workspace_save", form={**local, "base_path": target}, secret=None)
        attempts.refused(moved, f"the default workspace moved to {target}")
    assert settings.read_bytes() == before, "nothing was written"

    # A folder chosen in the chooser (the seam answers with home.local) becomes a workspace…
    chosen = invoke(driver, "pick", kind="workspace")["ok"]
    assert chosen == [str(home.local)], chosen
    saved = invoke(driver, "workspace_save", form=local_form("Chosen", chosen[0]), secret=None)
    assert "ok" in saved, saved
    # …once: the grant ended with that save.
    again = invoke(driver, "workspace_save", form=local_form("Again", chosen[0]), secret=None)
    attempts.refused(again, "a second workspace on a used grant")
    # A folder chosen to upload from is not one chosen for a workspace.
    picked = invoke(driver, "pick", kind="folder")["ok"]
    attempts.refused(
        invoke(driver, "workspace_save", form=local_form("Upload grant", picked[0]), secret=None),
        "a workspace on an upload grant",
    )
    # Two saves racing for one grant: one has it.
    chosen = invoke(driver, "pick", kind="workspace")["ok"]
    twins = invoke_both(driver, "workspace_save",
                        {"form": local_form("Twin A", chosen[0]), "secret": None},
                        {"form": local_form("Twin B", chosen[0]), "secret": None})
    assert sum("ok" in t for t in twins) == 1, twins
    attempts.refused(next(t for t in twins if "ok" not in t), "a second save racing for one grant")
    names = [w["name"] for w in json.loads(settings.read_text())["workspaces"]]
    assert names[:2] == ["Local files", "Chosen"] and len(names) == 3 and names[2].startswith("Twin"), names
    attempts.done()


def test_a_confirmed_folder_becomes_a_workspace(app, home):
    """The other way in: the person answers yes in the app's own dialog (the seam says "ok")."""
    app.confirm = "ok"
    driver = app.start()
    find(driver, tid("workspace"))
    saved = invoke(driver, "workspace_save", form=local_form("Typed", home.downloads), secret=None)
    assert "ok" in saved, saved
    names = [w["name"] for w in json.loads((home.config / "settings.json").read_text())["workspaces"]]
    assert "Typed" in names, names


def objects(s3s, bucket):
    root = s3s["root"] / bucket
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_a_page_cannot_transfer_what_was_not_chosen(app, home, s3s):
    """Uploads read only chosen paths, resolved (a link inside a chosen folder leads nowhere
    else); downloads write only into the chosen folder, not through a link there; what was chosen
    to read cannot be written and the other way round; a move cannot delete a chosen file; and a
    grant ends with the transfer it was given for. Copies follow links in settings here: not out
    of a chosen folder."""
    bucket = add_s3_workspace(home, s3s, "s3", transfer={"follow_links": True})
    secret = home.root / "secret.txt"
    secret.write_text("not chosen\n")
    (home.picks / "home-link").symlink_to(home.root)
    (home.downloads / "escape").symlink_to(home.root)
    driver = app.start()
    find(driver, tid("workspace"))
    to_s3 = {"workspace": "s3", "path": ""}

    def upload(paths, kind="copy", destination=to_s3):
        request = {"kind": kind, "sources": [{"workspace": None, "path": str(p)} for p in paths],
                   "destination": destination, "conflict": "overwrite"}
        return invoke(driver, "transfer_start", request=request)

    attempts = Attempts("transfers from script")
    attempts.refused(upload([secret]), "upload of an unchosen file")
    attempts.refused(upload([home.picks]), "upload of a folder before it was chosen")
    assert invoke(driver, "pick", kind="folder")["ok"] == [str(home.picks)]
    attempts.refused(upload([home.picks / "home-link"]), "upload through a link in a chosen folder")
    attempts.refused(upload([home.picks / "home-link" / "secret.txt"]), "upload below a link in a chosen folder")
    attempts.refused(upload([home.picks / ".." / "secret.txt"]), "upload of .. from a chosen folder")
    attempts.refused(upload([home.upload], kind="move"), "a move (delete) of a chosen file")
    # Download: into an unchosen folder, into the read grant, through a link in the chosen one.
    client_file = "report.txt"
    (s3s["root"] / bucket / client_file).write_text("from the bucket\n")
    (s3s["root"] / bucket / "escape").write_text("would land in home.root\n")

    def download(name, folder):
        request = {"kind": "copy", "sources": [{"workspace": "s3", "path": name}],
                   "destination": {"workspace": None, "path": str(folder)}, "conflict": "overwrite"}
        return invoke(driver, "transfer_start", request=request)

    attempts.refused(download(client_file, home.root), "download into an unchosen folder")
    attempts.refused(download(client_file, home.picks), "download into a folder chosen to read")
    assert invoke(driver, "pick", kind="destination")["ok"] == [str(home.downloads)]
    attempts.refused(download("escape", home.downloads), "download through a link in the chosen folder")
    attempts.refused(upload([home.downloads]), "upload of a folder chosen to write into")

    # What was chosen works, once, and the link in it is not followed out.
    started = upload([home.picks])
    assert "ok" in started, started
    find(driver, f'{tid("job")}[data-status="completed"], {tid("job")}[data-status="completed_with_errors"]', timeout=60)
    stored = objects(s3s, bucket)
    assert f"picks/{home.upload.name}" in stored, stored
    assert not any(p.startswith("picks/home-link") for p in stored), stored
    attempts.refused(upload([home.picks]), "the same folder again after its grant ended")
    fetched = download(client_file, home.downloads)
    assert "ok" in fetched, fetched
    attempts.refused(download(client_file, home.downloads), "a second download on a used grant")
    assert secret.read_text() == "not chosen\n"
    for outside in [home.root / client_file, home.root / "escape", home.root / "picks" / client_file]:
        assert not outside.exists(), f"written outside the chosen folder: {outside}"
    attempts.done(jobs=2)


class Recorder(http.server.BaseHTTPRequestHandler):
    """An S3 endpoint someone else runs: records every request's Authorization, answers 403."""

    seen: list = []

    def answer(self):
        Recorder.seen.append(self.headers.get("Authorization") or "")
        body = b"<Error><Code>AccessDenied</Code><Message>recorded</Message></Error>"
        self.send_response(403)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = answer

    def log_message(self, *args):
        pass


def test_a_page_cannot_send_stored_keys_to_a_new_endpoint(app, home, s3s):
    """Saving a workspace with another endpoint removes its keys (they were entered for the old
    one), so neither listing nor a connection test sends them to the new host."""
    add_s3_workspace(home, s3s, "s3")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    Recorder.seen = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        driver = app.start()
        find(driver, tid("workspace"))
        views = invoke(driver, "settings_get")["ok"]["workspaces"]
        view = next(v for v in views if v["form"]["id"] == "s3")
        assert view["secret_set"], view
        elsewhere = f"http://127.0.0.1:{server.server_address[1]}"
        saved = invoke(driver, "workspace_save", form={**view["form"], "endpoint_url": elsewhere}, secret=None)
        assert "ok" in saved and saved["ok"]["secret_set"] is False, saved
        attempts = Attempts("keys to a new endpoint")
        # No keys now (a `config` error: enter them for where it points).
        attempts.refused(invoke(driver, "list_open", workspace="s3", path=""), "a listing with the old keys",
                         code="config")
        tested = invoke(driver, "workspace_test", form={**view["form"], "endpoint_url": elsewhere}, secret=None)
        sent = [a for a in Recorder.seen if s3s["key"] in a]
        report("gui/keys to a new endpoint", secrets_found=len(sent), grant_escapes=len(attempts.escapes),
               cases=attempts.tried)
        assert not sent, f"the old key id went to the new endpoint: {sent}"
        assert "err" in tested or not tested["ok"]["ok"], tested
        assert not attempts.escapes, attempts.escapes
    finally:
        server.shutdown()


MANY = """
const [n, done] = arguments;
const call = () => window.__TAURI_INTERNALS__.invoke("window_open", { workspace: "local", path: "" })
  .then((ok) => ({ ok }), (err) => ({ err }));
Promise.all(Array.from({ length: n }, call)).then(done);
"""


def test_a_page_cannot_make_the_desktop_run_a_program(app, home, s3s):
    """Open hands files to the desktop's opener, which runs launchers and programs: a page asking
    to open one (a .desktop file, a file with an execute bit, a launcher without the name of
    one, a link to one; in a local workspace or a bucket) is refused before anything is
    launched — and every answer is a refusal, so no opener was called. Nor can it open windows
    without end, even asking for all of them at once."""
    ran = home.root / "ran"
    launcher = f"[Desktop Entry]\nType=Application\nName=Update\nExec=touch {ran}\n"
    (home.local / "update.desktop").write_text(launcher)
    (home.local / "README").write_text(launcher)
    script = home.local / "notes.txt"
    script.write_text(f"#!/bin/sh\ntouch {ran}\n")
    script.chmod(0o755)
    (home.local / "shortcut").symlink_to(home.local / "update.desktop")
    bucket = add_s3_workspace(home, s3s, "media")
    (s3s["root"] / bucket / "update.desktop").write_text(launcher)
    (s3s["root"] / bucket / "README").write_text(launcher)
    driver = app.start()
    find(driver, tid("file-list"))
    attempts = Attempts("open-programs")
    targets = [("local", p) for p in ["update.desktop", "README", "notes.txt", "shortcut"]]
    targets += [("media", p) for p in ["update.desktop", "README"]]
    for workspace, path in targets:
        for edit in (False, True):
            answer = invoke(driver, "open_file", workspace=workspace, path=path, edit=edit)
            attempts.refused(answer, f"open {workspace}:{path} (edit={edit})", code="config")
    driver.set_script_timeout(120)
    windows = driver.execute_async_script(MANY, 24)
    opened = sum(1 for w in windows if "ok" in w)
    assert opened <= 15, f"{opened} windows opened at once"
    assert len(driver.window_handles) <= 16
    assert not ran.exists(), "a program ran"
    attempts.done()


def test_a_page_cannot_start_what_it_was_not_shown(app, home):
    """Moves, imports and syncs run what the app itself planned and kept: a page naming a plan
    id it was never given, or asking a workspace without a media-planning file to move its
    storage, or slipping a settings-file path into a workspace form, is refused and nothing
    changes (the file a forged form names is never rewritten)."""
    victim = home.root / "victim.json"
    victim.write_text('{"storage": {"mode": "local", "local": {"base_path": "/tmp"}}}')
    before = victim.read_text()
    driver = app.start()
    find(driver, tid("file-list"))
    attempts = Attempts("forged plans")
    attempts.refused(invoke(driver, "storage_move_start", id="0" * 32, storeKeys=True), "a move never shown",
                     code="config")
    attempts.refused(invoke(driver, "storage_move_plan", workspace="local", into=None),
                     "a move of a workspace without a media-planning file", code="config")
    attempts.refused(invoke(driver, "workspace_import_apply", id="0" * 32, storeKeys=True),
                     "an import never read", code="config")
    attempts.refused(invoke(driver, "sync_run", id="0" * 32, review={"leave_out": [], "choices": []}),
                     "a sync plan never made", code="config")
    local = invoke(driver, "settings_get")["ok"]["workspaces"][0]["form"]
    saved = invoke(driver, "workspace_save", form={**local, "media_plan": str(victim)}, secret=None)
    assert "ok" in saved and saved["ok"]["media_plan"] is None, saved
    attempts.refused(invoke(driver, "storage_move_plan", workspace=local["id"], into=None),
                     "a move of a settings file named by a form", code="config")
    assert '"media_plan"' not in (home.config / "settings.json").read_text()
    assert victim.read_text() == before
    attempts.done()
