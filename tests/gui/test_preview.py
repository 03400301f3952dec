"""Quick look in the real window (s3s-fs): a text file's preview is its text; an image's is the
small picture the app made (a data: PNG, not a link to the bucket); a PDF's first pages are drawn,
and an audio file's player reads it, from ranges read through the app's ferry-media: protocol."""
import math
import struct
import zlib
from pathlib import Path

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

from conftest import add_s3_workspace
from test_app import find, row, snap, tid, wait

PDF = Path(__file__).resolve().parents[2] / "ui" / "tests" / "fixtures" / "two-pages.pdf"

README = """# Ferry field notes

Ferry keeps workspaces - local folders and S3 buckets - and moves files between them.

    ferry cp -r ~/photos/ media:photos/2024/
    ferry find media:photos/ --name '*.jpg' --larger-than 2MB

Every transfer is a job: planned into a journal, run a few files at a time, and each file is
checked against its checksum before it counts as done. Été, naïve, 東京: names in any language.
"""


def landscape_png(width: int, height: int) -> bytes:
    """A sky, a sun and hills: a picture worth looking at in the screenshot."""
    rows = []
    for y in range(height):
        line = bytearray([0])
        for x in range(width):
            hill = height * 0.62 + math.sin(x / width * 6.3) * height * 0.08
            sun = (x - width * 0.72) ** 2 + (y - height * 0.3) ** 2 < (height * 0.12) ** 2
            if sun:
                px = (255, 214, 90)
            elif y > hill:
                shade = int(90 + 60 * (y - hill) / height)
                px = (40, shade + 40, 60)
            else:
                t = y / height
                px = (int(90 + 120 * t), int(150 + 80 * t), 235)
            line += bytes(px)
        rows.append(bytes(line))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    head = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", head)
            + chunk(b"IDAT", zlib.compress(b"".join(rows), 6)) + chunk(b"IEND", b""))


def chime_wav(seconds: float) -> bytes:
    """A sine tone as a WAV file (the standard library's wave module)."""
    import io
    import wave
    rate = 8000
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(i * 2 * math.pi * 440 / rate)))
                               for i in range(int(rate * seconds))))
    return out.getvalue()


def look(driver, path: str):
    row(driver, path)[0].click()
    ActionChains(driver).send_keys(Keys.SPACE).perform()
    return find(driver, tid("quick-look"))


def test_text_image_pdf_and_audio_previews(app, home, s3s):
    bucket = add_s3_workspace(home, s3s, "media")
    root = s3s["root"] / bucket
    (root / "notes").mkdir(parents=True)
    (root / "notes" / "README.md").write_text(README)
    (root / "notes" / "valley.png").write_bytes(landscape_png(2400, 1350))
    (root / "notes" / "manual.pdf").write_bytes(PDF.read_bytes())
    (root / "notes" / "chime.wav").write_bytes(chime_wav(2.0))

    driver = app.start()
    find(driver, f'{tid("workspace")}[data-workspace="media"]').click()
    wait(driver, "notes/ listed", lambda: row(driver, "notes/"))
    ActionChains(driver).double_click(row(driver, "notes/")[0]).perform()
    wait(driver, "inside notes/", lambda: row(driver, "notes/README.md"))
    # The whole folder listed: rows re-drawn under the pointer would split a double-click.
    wait(driver, "notes/ listed", lambda: find(driver, tid("count")).get_attribute("textContent")
         .strip().startswith("4 items"))

    # A double-click shows the preview: the text as written, its encoding, checked.
    row(driver, "notes/README.md")[0].click()
    # Selected first (a row re-drawn under the pointer would split the double-click).
    wait(driver, "README.md selected", lambda: row(driver, "notes/README.md")[0]
         .get_attribute("aria-selected") == "true")
    ActionChains(driver).double_click(row(driver, "notes/README.md")[0]).perform()
    text = wait(driver, "the text preview", lambda: driver.find_elements("css selector", tid("preview-text")))
    assert text[0].get_attribute("textContent") == README
    notes = find(driver, tid("preview-notes")).get_attribute("textContent")
    assert notes == "UTF-8 · checksum verified", notes
    snap(driver, "preview-text.png")
    ActionChains(driver).send_keys(Keys.SPACE).perform()
    wait(driver, "Space closed it", lambda: not driver.find_elements("css selector", tid("quick-look")))

    look(driver, "notes/valley.png")
    picture = wait(driver, "the picture", lambda: driver.find_elements("css selector", tid("preview-image")))[0]
    src = picture.get_attribute("src")
    assert src.startswith("data:image/png;base64,"), src[:60]
    wait(driver, "the picture drawn", lambda: driver.execute_script(
        "return arguments[0].complete && arguments[0].naturalWidth", picture) == 1024)
    notes = find(driver, tid("preview-notes")).get_attribute("textContent")
    assert "2400 × 1350 px (shown at 1024 × 576)" in notes, notes
    snap(driver, "preview-image.png")
    ActionChains(driver).send_keys(Keys.ESCAPE).perform()

    look(driver, "notes/manual.pdf")
    wait(driver, "two PDF pages drawn",
         lambda: len(driver.find_elements("css selector", tid("pdf-page"))) == 2)
    dark = """
        const c = document.querySelector('[data-testid=pdf-page]');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i] < 100) n++; return n;"""
    wait(driver, "the first page's text drawn", lambda: driver.execute_script(dark) > 50)
    snap(driver, "preview-pdf.png")
    ActionChains(driver).send_keys(Keys.ESCAPE).perform()

    # Audio: the player reads the object, range by range, far enough to know its length.
    look(driver, "notes/chime.wav")
    player = wait(driver, "the player", lambda: driver.find_elements("css selector", tid("preview-audio")))[0]
    # On Linux from the app's loopback server (GStreamer cannot read an app's scheme).
    assert player.get_attribute("src").startswith("http://127.0.0.1:"), player.get_attribute("src")
    wait(driver, "the audio's length known", lambda: abs(
        (driver.execute_script("return arguments[0].duration", player) or 0) - 2.0) < 0.05)
    # The loopback server answers its own address and open previews' tokens only.
    import urllib.error
    import urllib.request
    src = player.get_attribute("src")
    host = src.split("/")[2]

    def status(url: str, host_header: str) -> int:
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers={"Host": host_header})) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code

    assert status(src, "evil.example") == 403, "a rebound name is refused"
    assert status(f"http://{host}/not-a-token", host) == 404
    assert status(src, host) in (200, 206)


def install_editor(home) -> Path:
    """A text editor for xdg-open to find, as a desktop would have: it notes the file it was
    given and saves an edit into it at once. Returns the file where it notes what it opened."""
    opened = home.root / "editor-opened.txt"
    editor = home.root / "editor.sh"
    editor.write_text(f"#!/bin/sh\necho \"$1\" >> '{opened}'\nprintf 'edited in the app\\n' >> \"$1\"\n")
    editor.chmod(0o755)
    apps = home.root / "xdg-data" / "applications"
    apps.mkdir(parents=True)
    (apps / "ferry-test-editor.desktop").write_text(
        "[Desktop Entry]\nType=Application\nName=Test editor\n"
        f"Exec={editor} %f\nMimeType=text/plain;\n")
    config = home.root / "xdg-config"
    config.mkdir(parents=True, exist_ok=True)
    (config / "mimeapps.list").write_text(
        "[Default Applications]\ntext/plain=ferry-test-editor.desktop\n")
    return opened


def test_an_edit_in_another_app_goes_back_and_a_change_meanwhile_is_asked_about(app, home, s3s):
    import os
    import subprocess

    from conftest import APP

    bucket = add_s3_workspace(home, s3s, "media")
    root = s3s["root"] / bucket
    (root / "plan.txt").write_text("first draft\n")
    opened = install_editor(home)
    env = dict(os.environ, FERRY_CONFIG_DIR=str(home.config), FERRY_DATA_DIR=str(home.data))

    def cat(key: str) -> str:
        out = home.root / "cat.out"
        out.unlink(missing_ok=True)
        subprocess.run([str(APP.parent / "ferry"), "cp", f"media:{key}", str(out)],
                       env=env, check=True, capture_output=True)
        return out.read_text()

    driver = app.start()
    find(driver, f'{tid("workspace")}[data-workspace="media"]').click()
    wait(driver, "plan.txt listed", lambda: row(driver, "plan.txt"))
    look(driver, "plan.txt")
    find(driver, tid("preview-edit")).click()

    # The editor was handed the cached copy, and its save reached the bucket.
    wait(driver, "the editor opened", lambda: opened.exists())
    copy = Path(opened.read_text().strip())
    assert copy.name == "plan.txt" and str(home.data) in str(copy), copy
    assert oct(copy.parent.stat().st_mode & 0o777) == "0o700"
    wait(driver, "the save uploaded", lambda: cat("plan.txt") == "first draft\nedited in the app\n")

    # Someone else writes the object; the next save asks instead of overwriting them.
    theirs = home.root / "theirs.txt"
    theirs.write_text("their version\n")
    subprocess.run([str(APP.parent / "ferry"), "cp", "--overwrite", str(theirs), "media:plan.txt"],
                   env=env, check=True, capture_output=True)
    copy.write_text("my second draft\n")
    asked = wait(driver, "the question", lambda: driver.find_elements("css selector", tid("edit-conflict")))
    assert "someone else changed it" in asked[0].get_attribute("textContent")
    snap(driver, "edit-conflict.png")
    assert cat("plan.txt") == "their version\n", "nothing sent before the answer"
    find(driver, tid("edit-copy")).click()
    wait(driver, "mine beside theirs", lambda: cat("plan (1).txt") == "my second draft\n")
    assert cat("plan.txt") == "their version\n"
