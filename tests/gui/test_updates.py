"""Updates of Ferry itself in the real window, from a signed feed on 127.0.0.1 that the
settings name: a newer version is offered in a banner (never installed unasked); a package
whose bytes do not match its signature is refused with nothing installed, and the package as
signed passes the check (this build is no package's, so it is not replaced); a feed offering the
version Ferry already is says nothing in the window and "the newest version" when asked."""
import base64
import hashlib
import http.server
import json
import threading
from pathlib import Path

from conftest import APP
from test_app import find, snap, tid, wait
from test_attacker import invoke

FIXTURES = Path(__file__).parent / "fixtures" / "updates"


class Feed:
    """The feed and its package, as an update server serves them; every request is noted."""

    def __init__(self):
        self.version = "0.2.0"
        self.package = (FIXTURES / "ferry-0.2.0.pkg").read_bytes()
        self.requests = []
        feed = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                feed.requests.append(self.path)
                if self.path == "/latest.json":
                    body = json.dumps(feed.manifest()).encode()
                elif self.path == "/ferry-0.2.0.pkg":
                    body = feed.package
                else:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def manifest(self):
        entry = {
            "signature": (FIXTURES / "ferry-0.2.0.pkg.sig").read_text().strip(),
            "url": f"{self.url}/ferry-0.2.0.pkg",
        }
        return {
            "version": self.version,
            "notes": "Faster downloads; s3:// links open in Ferry.",
            "pub_date": "2026-12-01T09:00:00Z",
            "platforms": {"linux-x86_64": entry, "linux-x86_64-deb": entry},
        }

    def close(self):
        self.server.shutdown()


def test_an_update_is_offered_a_forged_package_refused_and_the_same_version_silent(app, home):
    feed = Feed()
    try:
        settings_path = home.config / "settings.json"
        settings = json.loads(settings_path.read_text())
        settings["updates"] = {
            "feed": f"{feed.url}/latest.json",
            "public_key": (FIXTURES / "test-update.key.pub").read_text().strip(),
        }
        settings_path.write_text(json.dumps(settings, indent=2))
        # The package on the wire is not the one that was signed (one byte changed).
        feed.package = feed.package.replace(b"0.2.0", b"0.2.1", 1)
        app.confirm = "ok"
        before = hashlib.sha256(APP.read_bytes()).hexdigest()
        driver = app.start()

        banner = find(driver, tid("update-banner"))
        text = banner.get_attribute("textContent")
        assert "Ferry 0.2.0 is available" in text and "(you have 0.1.0)" in text, text
        assert "s3:// links open in Ferry" in text, text
        assert feed.requests == ["/latest.json"], "offered without a download: " + repr(feed.requests)
        snap(driver, "update-prompt.png")

        find(driver, tid("update-install")).click()
        error = find(driver, tid("update-error")).get_attribute("textContent")
        assert "refused" in error and "signature does not match" in error, error
        assert "nothing was installed" in error, error
        assert feed.requests == ["/latest.json", "/ferry-0.2.0.pkg"], feed.requests
        assert hashlib.sha256(APP.read_bytes()).hexdigest() == before, "the program changed"
        assert app.running(), "the app went away"
        snap(driver, "update-refused.png")

        # The package as signed passes the check; this build, run from target/, is no
        # package's, so it is not replaced (a packaged Ferry would install and restart here).
        feed.package = (FIXTURES / "ferry-0.2.0.pkg").read_bytes()
        find(driver, tid("update-install")).click()
        wait(driver, "the signed package's answer", lambda: "signature is good" in find(
            driver, tid("update-error")).get_attribute("textContent"))
        error = find(driver, tid("update-error")).get_attribute("textContent")
        assert "not installed from a package, so it is not replaced" in error, error
        assert feed.requests.count("/ferry-0.2.0.pkg") == 2, feed.requests
        assert hashlib.sha256(APP.read_bytes()).hexdigest() == before, "the program changed"

        # The key is replaced (the old one leaked): the offer checked with it is gone.
        rotated = json.loads(settings_path.read_text())
        rotated["updates"]["public_key"] = base64.b64encode(
            b"untrusted comment: minisign public key: 0000000000000000\n"
            b"RWQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n").decode()
        settings_path.write_text(json.dumps(rotated, indent=2))

        def refused_now():
            find(driver, tid("update-install")).click()
            return "check again" in find(driver, tid("update-error")).get_attribute("textContent")
        wait(driver, "the old offer refused", refused_now)
        settings_path.write_text(json.dumps(settings, indent=2))

        # The feed now offers the version Ferry is: nothing to offer, and Settings says so.
        feed.version = "0.1.0"
        find(driver, tid("update-later")).click()
        find(driver, tid("open-settings")).click()
        find(driver, tid("settings-updates")).click()
        find(driver, tid("updates-check")).click()
        state = wait(driver, "the check's answer", lambda: (
            t := find(driver, tid("updates-state")).get_attribute("textContent")
        ) and "newest" in t and t)
        assert "Ferry 0.1.0 is the newest version" in state, state
        assert feed.requests[-1] == "/latest.json", feed.requests
        checks = feed.requests.count("/latest.json")
        assert checks == 2, feed.requests
        assert not driver.find_elements("css selector", tid("update-banner"))

        # A page cannot reach the updater plugin's own commands (no confirmation, no feed
        # check), nor install a version the feed did not offer.
        for cmd in ("plugin:updater|check", "plugin:updater|download_and_install"):
            answer = invoke(driver, cmd, rid=0)
            assert "not allowed" in str(answer.get("err", "")), f"{cmd}: {answer}"
        answer = invoke(driver, "update_install", version="0.1.0")
        assert answer.get("err", {}).get("code") == "config", answer
        assert feed.requests.count("/latest.json") == 2, feed.requests
    finally:
        feed.close()
