"""Several windows in the real app: Ctrl+N opens a second window on the folder shown, titled with
its workspace and path; both are views of one engine — an upload started in the second window
is in the first window's transfer panel too, and lands in the folder both show."""
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from test_app import find, row, tid, wait


def test_a_second_window_shares_the_transfer_queue(driver, home):
    (home.local / "inbox").mkdir()
    (home.local / "inbox" / "first.txt").write_text("already here\n")
    wait(driver, "inbox/ listed", lambda: row(driver, "inbox/"))
    row(driver, "inbox/")[0].click()
    ActionChains(driver).double_click(row(driver, "inbox/")[0]).perform()
    wait(driver, "inside inbox/", lambda: row(driver, "inbox/first.txt"))
    first = driver.current_window_handle

    ActionChains(driver).key_down(Keys.CONTROL).send_keys("n").key_up(Keys.CONTROL).perform()
    handles = wait(driver, "a second window", lambda: (lambda h: h if len(h) == 2 else None)(
        driver.window_handles))
    second = next(h for h in handles if h != first)
    driver.switch_to.window(second)
    wait(driver, "the second window on inbox/", lambda: row(driver, "inbox/first.txt"))
    wait(driver, "its title", lambda: driver.title == "Local files — /inbox/ — Ferry")

    # An upload from the second window (the chooser bypassed)…
    find(driver, tid("upload-files")).click()
    name = home.upload.name
    wait(driver, "uploaded, in the second window", lambda: row(driver, f"inbox/{name}"))
    assert (home.local / "inbox" / name).read_bytes() == home.upload.read_bytes()

    # …is a job of the first window's transfer panel as well.
    driver.switch_to.window(first)
    jobs = wait(driver, "the job in the first window", lambda: driver.find_elements(
        By.CSS_SELECTOR, f'{tid("job")}[data-status="completed"]'))
    title = jobs[0].find_element(By.CSS_SELECTOR, ".title").get_attribute("textContent")
    assert title == f"Upload {name}", title
    assert driver.title == "Local files — /inbox/ — Ferry"
