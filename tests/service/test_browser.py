"""
The web page in headless Chromium, against `allennlp serve` in a subprocess: a refused file shows
the server's message, and an image shows its label and bars. Set ALLENCV_SCREENSHOT to a path to
keep the screenshot (docs/serve_screenshot.png was made so).
"""
import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import colour_image

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")

pytestmark = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason="Chromium and chromedriver are not installed: run scripts/install_chromium.sh "
    "(Debian: apt-get install chromium chromium-driver) to run the browser test.",
)


@pytest.fixture
def browser():
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1100,640"):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def test_the_page_shows_an_uploaded_images_label(served, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    url, _ = served
    wait = WebDriverWait(browser, 60)
    browser.get(url + "/")
    wait.until(expected_conditions.text_to_be_present_in_element((By.ID, "model-info"), "basic_image_classifier"))
    assert "2 labels" in browser.find_element(By.ID, "model-info").text

    (tmp_path / "notes.txt").write_text("not an image")
    browser.find_element(By.ID, "file-input").send_keys(str(tmp_path / "notes.txt"))
    wait.until(expected_conditions.visibility_of_element_located((By.ID, "error")))
    assert "notes.txt: not an image" in browser.find_element(By.ID, "error").text

    colour_image((220, 40, 30), size=240, seed=3).save(tmp_path / "red.png")
    browser.find_element(By.ID, "file-input").send_keys(str(tmp_path / "red.png"))
    wait.until(expected_conditions.text_to_be_present_in_element((By.ID, "top-label"), "red"))
    assert browser.find_element(By.ID, "top-label").text == "red"
    assert not browser.find_element(By.ID, "error").is_displayed()
    bars = browser.find_elements(By.CSS_SELECTOR, "#results .bar-row")
    assert [bar.find_element(By.CLASS_NAME, "bar-name").text for bar in bars] == ["red", "blue"]
    assert browser.execute_script("return document.getElementById('preview').naturalWidth") == 240

    screenshot = tmp_path / "serve.png"
    assert browser.save_screenshot(str(screenshot)) and screenshot.stat().st_size > 10_000
    if os.environ.get("ALLENCV_SCREENSHOT"):
        shutil.copy(screenshot, Path(os.environ["ALLENCV_SCREENSHOT"]))
