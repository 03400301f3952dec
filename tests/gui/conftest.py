"""The real Ferry window under Xvfb, driven through tauri-driver and WebKitWebDriver.

Needs the environment `scripts/test` provides: a display (scripts/with-display), a private
Secret Service (scripts/with-keychain) and the S3 test servers (scripts/with-test-servers).
"""

import functools
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
import warnings
from pathlib import Path

import pytest
import urllib3
from selenium import webdriver
from selenium.webdriver.common.options import ArgOptions
from selenium.webdriver.remote.client_config import ClientConfig
from selenium.webdriver.remote.remote_connection import RemoteConnection

ROOT = Path(__file__).resolve().parents[2]
APP = Path(os.environ.get("CARGO_TARGET_DIR") or ROOT / "target") / "debug" / "ferry-desktop"


@functools.cache
def has_seams() -> bool:
    """Whether APP was built with the test seams (what users run never is)."""
    return b"FERRY_TEST_PICK_" in APP.read_bytes()
SCREENSHOTS = ROOT / "docs" / "screenshots"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, deadline: float) -> None:
    while True:
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def wait_listening(port: int, deadline: float) -> None:
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


class Home:
    """Folders of one app run: settings, jobs, a local workspace, files to pick and a download folder."""

    def __init__(self, root: Path):
        self.root = root
        self.config = root / "config"
        self.data = root / "data"
        self.local = root / "local"
        self.picks = root / "picks"
        self.downloads = root / "downloads"
        for d in (self.config, self.data, self.local, self.picks, self.downloads):
            d.mkdir(parents=True)
        (self.local / "hello.txt").write_text("hello from the local workspace\n")
        settings = {
            "version": 1,
            "workspaces": [
                {
                    "id": "local",
                    "name": "Local files",
                    "storage": {"type": "local", "base_path": str(self.local)},
                }
            ],
            "default_workspace": "local",
        }
        (self.config / "settings.json").write_text(json.dumps(settings, indent=2))
        # Incompressible and large enough to take a few parts' worth of progress updates.
        self.upload = self.picks / "report 2026 (final).bin"
        self.upload.write_bytes(os.urandom(3 * 1024 * 1024 + 17))


@pytest.fixture
def home():
    root = Path(tempfile.mkdtemp(prefix="ferry-gui-"))
    try:
        yield Home(root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


class App:
    """Starts the real app (through tauri-driver) for `home`, as often as a test needs: a test
    that kills the app starts it again on the same settings, keychain and journal."""

    def __init__(self, home: Home, pick_files: Path | None = None):
        self.home = home
        self.pick_files = pick_files or home.upload
        self.pick_folder = home.picks
        self.pick_workspace = home.local
        # What the native confirmation answers ("ok" or "cancel"): WebDriver cannot press it.
        self.confirm = "cancel"
        self.sessions = []

    def start(self):
        """A new app window and its WebDriver session. An app that dies before its session is
        made leaves the new-session request hanging (seen here), not dropped: a dropped
        connection is the driver stack's own failure, so that driver is stopped, with any app it
        launched, and one more is started, with a warning that shows what the driver printed."""
        try:
            return self._start_once()
        except (urllib3.exceptions.ProtocolError, urllib3.exceptions.MaxRetryError) as e:
            if isinstance(getattr(e, "reason", None), urllib3.exceptions.ReadTimeoutError):
                raise  # a hang is the app's, never retried
            warnings.warn(f"the WebDriver stack dropped the new-session request ({e!r}); "
                          f"driver output:\n{self.logs()}")
            proc, log, _ = self.sessions[-1]
            proc.terminate()
            proc.wait(timeout=10)
            log.close()
            while self.running():
                self.kill()
            return self._start_once()

    def _start_once(self):
        assert APP.exists(), (
            f"{APP} is missing; build with `cargo build --workspace --features ferry-desktop/test-seams` first"
        )
        assert has_seams(), (
            f"{APP} has no test seams; build with `--features ferry-desktop/test-seams`"
        )
        home = self.home
        port = free_port()
        native = free_port()
        while native == port:
            native = free_port()
        env = dict(os.environ)
        env.update(
            FERRY_CONFIG_DIR=str(home.config),
            FERRY_DATA_DIR=str(home.data),
            FERRY_TEST_PICK_FILES=str(self.pick_files),
            FERRY_TEST_PICK_FOLDER=str(self.pick_folder),
            FERRY_TEST_PICK_DESTINATION=str(home.downloads),
            FERRY_TEST_PICK_WORKSPACE=str(self.pick_workspace),
            # What Add workspace → Import… "chooses" (absent unless a test writes it).
            FERRY_TEST_PICK_IMPORT=str(home.root / "import-me"),
            FERRY_TEST_SEAM_CONFIRM=self.confirm,
            XDG_CONFIG_HOME=str(home.root / "xdg-config"),
            XDG_CACHE_HOME=str(home.root / "xdg-cache"),
            # Where "Open in app" finds the apps a test installs (xdg-open reads it).
            XDG_DATA_HOME=str(home.root / "xdg-data"),
        )
        log = open(home.root / f"tauri-driver-{len(self.sessions)}.log", "w")
        proc = subprocess.Popen(
            ["tauri-driver", "--port", str(port), "--native-port", str(native)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.sessions.append((proc, log, None))
        # The native driver is asked directly, so that the new-session request is the first
        # one tauri-driver forwards.
        deadline = time.monotonic() + 30
        wait_http(f"http://127.0.0.1:{native}/status", deadline)
        wait_listening(port, deadline)
        options = ArgOptions()
        options.set_capability("browserName", "wry")
        options.set_capability("tauri:options", {"application": str(APP)})
        # A connection built from a ClientConfig: a bare address is deprecated in selenium 4.2x.
        connection = RemoteConnection(
            client_config=ClientConfig(remote_server_addr=f"http://127.0.0.1:{port}")
        )
        drv = webdriver.Remote(command_executor=connection, options=options)
        drv.implicitly_wait(0)
        self.sessions[-1] = (proc, log, drv)
        return drv

    def running(self) -> int | None:
        """The running app process of this home (its settings folder tells it apart), if any."""
        marker = f"FERRY_CONFIG_DIR={self.home.config}".encode()
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                if Path(os.readlink(entry / "exe")) != APP.resolve():
                    continue
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if stat[0] not in ("Z", "X") and marker in (entry / "environ").read_bytes().split(b"\0"):
                    return int(entry.name)
            except OSError:
                continue
        return None

    def pid(self) -> int:
        pid = self.running()
        assert pid is not None, "the app is not running"
        return pid

    def kill(self) -> None:
        """kill -9 the app, then wait until the kernel has taken it down: until then it still
        holds its sockets (WebKit's inspector port among them), which the next start needs."""
        pid = self.pid()
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 60
        while True:
            try:
                state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                return  # gone (and reaped)
            if state in ("Z", "X"):
                return  # a zombie has released everything but its exit status
            if time.monotonic() > deadline:
                raise AssertionError(f"the killed app (pid {pid}) is still in state {state}")
            time.sleep(0.01)

    def logs(self) -> str:
        """What tauri-driver, WebKitWebDriver and the app printed, session by session."""
        parts = []
        for n in range(len(self.sessions)):
            path = self.home.root / f"tauri-driver-{n}.log"
            if path.exists():
                parts.append(f"--- session {n} ---\n{path.read_text(errors='replace')[-4000:]}")
        return "\n".join(parts)

    def close(self):
        for proc, log, drv in reversed(self.sessions):
            if drv is not None:
                try:
                    drv.quit()
                except Exception:  # the app may have been killed on purpose
                    pass
            proc.terminate()
            proc.wait(timeout=10)
            log.close()


@pytest.fixture
def app(home: Home):
    launcher = App(home)
    try:
        yield launcher
    finally:
        launcher.close()


@pytest.fixture
def driver(app: App):
    return app.start()


def add_s3_workspace(home: Home, s3s: dict, ws_id: str, transfer: dict | None = None) -> str:
    """Writes an S3 workspace on a new bucket into settings.json by hand and stores its keys
    with the CLI; returns the bucket."""
    bucket = f"gui-{ws_id}-{os.urandom(5).hex()}"
    (s3s["root"] / bucket).mkdir()
    path = home.config / "settings.json"
    settings = json.loads(path.read_text())
    settings["workspaces"].append(
        {
            "id": ws_id,
            "name": ws_id.title(),
            "storage": {"type": "s3", "bucket": bucket, "region": "us-east-1",
                        "endpoint_url": s3s["url"], "path_style": True,
                        "credentials": {"source": "keychain"}},
        }
    )
    if transfer:
        settings["transfer"] = transfer
    path.write_text(json.dumps(settings, indent=2))
    env = dict(os.environ, FERRY_CONFIG_DIR=str(home.config), FERRY_DATA_DIR=str(home.data))
    stored = subprocess.run([str(APP.parent / "ferry"), "secret", "set", ws_id], env=env,
                            input=f"{s3s['key']}\n{s3s['secret']}\n", text=True, capture_output=True)
    assert stored.returncode == 0, stored.stderr
    return bucket


@pytest.fixture
def s3s():
    """The s3s-fs test server (it checks signatures, so the typed secret must be right)."""
    url = os.environ.get("FERRY_TEST_S3S_URL")
    if not url:
        pytest.fail("FERRY_TEST_S3S_URL is not set: run through scripts/with-test-servers")
    return {
        "url": url,
        "root": Path(os.environ["FERRY_TEST_SERVERS_DIR"]) / "s3s",
        "key": os.environ["FERRY_TEST_S3S_ACCESS_KEY"],
        "secret": os.environ["FERRY_TEST_S3S_SECRET_KEY"],
    }


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On a failure, keep a screenshot of the window and its text for the person debugging it."""
    outcome = yield
    report = outcome.get_result()
    launcher = item.funcargs.get("app") if hasattr(item, "funcargs") else None
    if report.failed and launcher is not None:
        for _, log, _ in launcher.sessions:
            if not log.closed:
                log.flush()
        report.sections.append(("driver and app output", launcher.logs()))
    drv = item.funcargs.get("driver") if hasattr(item, "funcargs") else None
    if report.when == "call" and report.failed and drv is not None:
        shot = Path(tempfile.gettempdir()) / f"ferry-gui-failure-{item.name}.png"
        try:
            drv.save_screenshot(str(shot))
            text = drv.find_element("tag name", "body").text
            calls = drv.execute_script("return (window.__ipcLog || []).slice(-15)")
            calls = "\n".join(f"{c['cmd']}: {c['answer'][:300]}" for c in calls)
            report.sections.append(("window", f"screenshot: {shot}\n{text}\nlast IPC calls:\n{calls}"))
        except Exception as e:  # the window may be gone
            report.sections.append(("window", f"no screenshot: {e}"))
