"""Add workspace → Import… in the real window (s3s-fs): a Django .env chosen in the (seamed)
chooser is shown as the workspace it adds — where it points, its upload policy, that the file
holds keys, what is not imported — before anything is saved; with "store the keys" ticked the
workspace is added, its keys go to the keychain and not to settings.json, and it browses."""
import os
import subprocess

from selenium.webdriver.common.by import By

from conftest import APP
from test_app import find, snap, tid, wait


def test_a_django_env_becomes_a_working_workspace(app, home, s3s):
    bucket = f"gui-import-{os.urandom(4).hex()}"
    (s3s["root"] / bucket / "media").mkdir(parents=True)
    (s3s["root"] / bucket / "media" / "logo.png").write_bytes(b"\x89PNG not really")
    (home.root / "import-me").write_text(
        "# the site's environment\n"
        "STORAGE_BACKEND=s3\n"
        f"AWS_ACCESS_KEY_ID={s3s['key']}\n"
        f"AWS_SECRET_ACCESS_KEY=\"{s3s['secret']}\"\n"
        f"AWS_STORAGE_BUCKET_NAME={bucket}\n"
        "AWS_S3_REGION_NAME=us-east-1\n"
        f"AWS_S3_ENDPOINT_URL={s3s['url']}\n"
        "AWS_S3_CUSTOM_DOMAIN=cdn.example.com\n"
        "DEBUG=False\n"
    )
    driver = app.start()
    find(driver, tid("open-settings")).click()
    find(driver, tid("import-workspaces")).click()
    find(driver, tid("import-choose")).click()
    preview = find(driver, tid("import-preview"))
    text = " ".join(preview.get_attribute("textContent").split())
    assert "(a Django .env) adds 1 workspace(s)" in text, text
    assert f"s3://{bucket}/media/ at {s3s['url']}" in text, text
    assert "never replaces a file" in text and "The file holds its access keys." in text, text
    assert "Not imported: DEBUG: not storage settings" in text, text
    assert ("Uploads: ACL private, Cache-Control max-age=86400, public URL "
            "https://cdn.example.com/media, encryption AES256") in text, text
    assert s3s["secret"] not in driver.page_source, "a key reached the page"
    assert bucket not in (home.config / "settings.json").read_text(), "saved before the yes"
    snap(driver, "import-preview.png")

    find(driver, tid("import-store-keys")).click()
    find(driver, tid("import-add")).click()
    ws = wait(driver, "the workspace in the sidebar", lambda: driver.find_elements(
        By.CSS_SELECTOR, f'{tid("workspace")}[data-workspace="{bucket}"]'))
    settings = (home.config / "settings.json").read_text()
    assert bucket in settings and s3s["secret"] not in settings, settings
    assert '"file_overwrite": false' in settings and "https://cdn.example.com/media" in settings
    env = dict(os.environ, FERRY_CONFIG_DIR=str(home.config), FERRY_DATA_DIR=str(home.data))
    tested = subprocess.run([str(APP.parent / "ferry"), "workspace", "test", bucket], env=env,
                            capture_output=True, text=True)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    driver.find_element(By.CSS_SELECTOR, ".modal header .close").click()
    ws[0].click()
    wait(driver, "logo.png listed", lambda: driver.find_elements(
        By.CSS_SELECTOR, f'{tid("row")}[data-path="logo.png"]'))
