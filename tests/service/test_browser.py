"""
The web page in headless Chromium. Against `allennlp serve` in a subprocess: a refused file shows
the server's message, and an image shows its label and bars (set ALLENCV_SCREENSHOT to a path to
keep the screenshot; docs/serve_screenshot.png was made so). Against a classifier served with
`explain` on: the "why?" toggle draws the Grad-CAM heatmap over the image, and clears it
(ALLENCV_WHY_SCREENSHOT keeps that screenshot). Against a stand-in for the detection
and segmentation predictors: their boxes, keypoints and masks are drawn over the image.
"""

import base64
import io
import json
import os
import shutil
import threading
from pathlib import Path

import numpy
import PIL.Image
import pycocotools.mask
import pytest
import uvicorn

from allencv.predictors import ImagePredictor
from allencv.service import create_app
from tests.conftest import colour_image
from tests.service.conftest import free_port

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")

pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason="Chromium and chromedriver are not installed: run scripts/install_chromium.sh "
    "(Debian: apt-get install chromium chromium-driver) to run the browser test.",
)]


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1100,760",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(
        options=options, service=webdriver.ChromeService(executable_path=CHROMEDRIVER)
    )
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
    wait.until(
        expected_conditions.text_to_be_present_in_element(
            (By.ID, "model-info"), "basic_image_classifier"
        )
    )
    assert "2 labels" in browser.find_element(By.ID, "model-info").text
    assert not browser.find_element(By.ID, "text-inputs").is_displayed()  # an image-only model

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


class BoxesAndMasksStandIn(ImagePredictor):
    """
    Answers as the detection, keypoint and instance segmentation predictors do (`boxes`, `labels`,
    `scores`, `keypoints` with a `keypoint_skeleton` joining the first two, and COCO RLE `masks`)
    for images 160 pixels wide, and as semantic segmentation does (a class
    index PNG `mask`: class 2 on the right half) for others.
    """

    def predict_batch(self, images):
        return [self._prediction(*image.shape[-2:]) for image in images]

    @staticmethod
    def _prediction(height: int, width: int):
        if width == 200:
            return instance_masks_prediction(height, width)
        if width == 160:
            mask = numpy.zeros((height, width), dtype=numpy.uint8)
            mask[20:60, 30:90] = 1
            rle = pycocotools.mask.encode(numpy.asfortranarray(mask))
            rle = {"size": rle["size"], "counts": rle["counts"].decode()}
            return {
                "boxes": [[30, 20, 90, 60]],
                "labels": ["thing"],
                "scores": [0.9],
                "masks": [rle],
                "keypoints": [[[110.5, 80.5], [140.5, 80.5], [125.5, 105.5]]],
                "keypoint_skeleton": [[0, 1]],
            }
        classes = numpy.zeros((height, width), dtype=numpy.uint8)
        classes[:, width // 2 :] = 2
        buffer = io.BytesIO()
        PIL.Image.fromarray(classes, mode="L").save(buffer, format="PNG")
        return {"mask": base64.b64encode(buffer.getvalue()).decode()}


def instance_masks_prediction(height: int, width: int):
    """As `mask_rcnn`'s predictor answers: two overlapping instances, each a box and its mask (an RLE of the whole image)."""
    masks = []
    for x1, y1, x2, y2 in ((20, 20, 100, 80), (80, 50, 180, 110)):
        mask = numpy.zeros((height, width), dtype=numpy.uint8)
        mask[y1 + 5 : y2 - 5, x1 + 5 : x2 - 5] = 1
        rle = pycocotools.mask.encode(numpy.asfortranarray(mask))
        masks.append({"size": rle["size"], "counts": rle["counts"].decode()})
    return {"boxes": [[20, 20, 100, 80], [80, 50, 180, 110]], "labels": ["circle", "square"], "scores": [0.9, 0.8],
            "label_ids": [1, 2], "masks": masks}


@pytest.fixture(scope="module")
def stand_in_url(trained_predictor):
    predictor = BoxesAndMasksStandIn(trained_predictor.model, trained_predictor.dataset_reader)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(predictor), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started and thread.is_alive():
        threading.Event().wait(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def overlay_pixel(browser, x: int, y: int):
    return browser.execute_script(
        "return Array.from(document.getElementById('overlay').getContext('2d').getImageData(arguments[0], arguments[1], 1, 1).data)",
        x,
        y,
    )


def same_colour(pixel, colour) -> bool:
    """Whether an RGBA pixel has `colour`, give or take the canvas's premultiplied-alpha rounding."""
    return all(abs(a - b) <= 3 for a, b in zip(pixel[:3], colour))


def test_the_page_draws_boxes_keypoints_and_masks(stand_in_url, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, 60)
    browser.get(stand_in_url + "/")
    PIL.Image.new("RGB", (160, 120), (128, 128, 128)).save(tmp_path / "detect.png")
    browser.find_element(By.ID, "file-input").send_keys(str(tmp_path / "detect.png"))
    wait.until(expected_conditions.text_to_be_present_in_element((By.ID, "results"), "1 found"))
    assert "thing 90%" in browser.find_element(By.ID, "results").text
    first_colour = [230, 25, 75]
    inside = overlay_pixel(browser, 60, 40)
    assert same_colour(inside, first_colour) and 0 < inside[3] < 255  # the mask, translucent
    assert overlay_pixel(browser, 30, 40) == first_colour + [255]  # the box's edge
    assert overlay_pixel(browser, 5, 100)[3] == 0  # outside both
    assert overlay_pixel(browser, 125, 105) == first_colour + [255]  # a keypoint
    assert overlay_pixel(browser, 125, 80) == [255, 255, 255, 255]  # the skeleton's line
    assert overlay_pixel(browser, 132, 92)[3] == 0  # keypoints 1 and 2 are not joined

    PIL.Image.new("RGB", (100, 50), (128, 128, 128)).save(tmp_path / "segment.png")
    browser.find_element(By.ID, "file-input").send_keys(str(tmp_path / "segment.png"))
    wait.until(expected_conditions.text_to_be_present_in_element((By.ID, "status"), "segment.png"))
    wait.until(lambda driver: overlay_pixel(driver, 75, 25)[3] > 0)
    assert same_colour(
        overlay_pixel(browser, 75, 25), [60, 180, 75]
    )  # class 2: the palette's second colour
    assert overlay_pixel(browser, 25, 25)[3] == 0  # class 0, the background


@pytest.fixture(scope="module")
def text_model_url(text_predictor):
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(text_predictor), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started and thread.is_alive():
        threading.Event().wait(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def test_the_page_sends_the_text_box_with_the_image(text_model_url, text_predictor, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, 60)
    browser.get(text_model_url + "/")
    wait.until(expected_conditions.visibility_of_element_located((By.ID, "text-caption")))
    colour_image((220, 40, 30), size=64, seed=3).save(tmp_path / "red.png")

    def predicted_probs():
        wait.until(expected_conditions.visibility_of_element_located((By.ID, "raw")))
        return json.loads(browser.find_element(By.ID, "raw-json").get_attribute("textContent"))["label_probs"]

    browser.find_element(By.ID, "text-caption").send_keys("red circle")
    browser.find_element(By.ID, "file-input").send_keys(str(tmp_path / "red.png"))
    expected = text_predictor.predict(str(tmp_path / "red.png"), "red circle")["label_probs"]
    assert predicted_probs() == pytest.approx(expected, abs=1e-5)

    browser.find_element(By.ID, "text-caption").clear()
    browser.find_element(By.ID, "text-caption").send_keys("blue")
    browser.find_element(By.ID, "predict-again").click()
    expected = text_predictor.predict(str(tmp_path / "red.png"), "blue")["label_probs"]
    wait.until(lambda driver: json.loads(driver.find_element(By.ID, "raw-json").get_attribute("textContent") or "{}").get("label_probs") == pytest.approx(expected, abs=1e-5))
    assert not browser.find_element(By.ID, "error").is_displayed()


@pytest.fixture(scope="module")
def explained_url(squares_archive):
    """The squares-on-noise classifier served in-process with `explain` on."""
    from allennlp.predictors import Predictor

    predictor = Predictor.from_path(str(squares_archive), explain=True)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(predictor), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started and thread.is_alive():
        threading.Event().wait(0.05)
    yield f"http://127.0.0.1:{port}", predictor
    server.should_exit = True
    thread.join(timeout=10)


def heatmap_pixel(browser, x: int, y: int):
    return browser.execute_script(
        "return Array.from(document.getElementById('heatmap').getContext('2d').getImageData(arguments[0], arguments[1], 1, 1).data)",
        x,
        y,
    )


def test_the_why_toggle_draws_the_heatmap_over_the_image(explained_url, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    from allencv.datasets.squares_on_noise import square_example

    url, predictor = explained_url
    wait = WebDriverWait(browser, 60)
    browser.get(url + "/")
    image, (x1, y1, x2, y2) = square_example(numpy.random.default_rng(5), "blue", 32)
    image.save(tmp_path / "square.png")
    expected = predictor.predict(str(tmp_path / "square.png"))
    heatmap = numpy.asarray(PIL.Image.open(io.BytesIO(base64.b64decode(expected["heatmap"]))))
    peak_y, peak_x = (int(value) for value in numpy.unravel_index(int(heatmap.argmax()), heatmap.shape))
    cold_y, cold_x = (int(value) for value in numpy.unravel_index(int(heatmap.argmin()), heatmap.shape))
    assert x1 <= peak_x < x2 and y1 <= peak_y < y2 and heatmap[cold_y, cold_x] == 0

    browser.find_element(By.ID, "file-input").send_keys(str(tmp_path / "square.png"))
    wait.until(expected_conditions.visibility_of_element_located((By.ID, "why")))
    assert browser.find_element(By.ID, "why").text == "why blue?"
    assert heatmap_pixel(browser, peak_x, peak_y)[3] == 0  # off until asked

    browser.find_element(By.ID, "why-toggle").click()
    wait.until(lambda driver: heatmap_pixel(driver, peak_x, peak_y)[3] > 0)
    red, green, blue, alpha = heatmap_pixel(browser, peak_x, peak_y)
    assert red > 200 and green < 60 and blue < 30 and alpha > 150  # the peak: opaque red
    assert heatmap_pixel(browser, cold_x, cold_y)[3] == 0  # no CAM, nothing drawn
    if os.environ.get("ALLENCV_WHY_SCREENSHOT"):  # docs/serve_why_screenshot.png was made so
        size = browser.get_window_size()
        browser.set_window_size(1100, 900)
        browser.save_screenshot(os.environ["ALLENCV_WHY_SCREENSHOT"])
        browser.set_window_size(size["width"], size["height"])

    browser.find_element(By.ID, "why-toggle").click()
    wait.until(lambda driver: heatmap_pixel(driver, peak_x, peak_y)[3] == 0)  # switched off again


def test_the_page_draws_each_instance_mask_in_its_boxs_colour(stand_in_url, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, 60)
    browser.get(stand_in_url + "/")
    PIL.Image.new("RGB", (200, 130), (128, 128, 128)).save(tmp_path / "instances.png")
    browser.find_element(By.ID, "file-input").send_keys(str(tmp_path / "instances.png"))
    wait.until(expected_conditions.text_to_be_present_in_element((By.ID, "results"), "2 found"))
    first, second = [230, 25, 75], [60, 180, 75]
    assert overlay_pixel(browser, 20, 50) == first + [255] and overlay_pixel(browser, 180, 90) == second + [255]  # the boxes' edges
    inside_first, inside_second = overlay_pixel(browser, 50, 40), overlay_pixel(browser, 150, 90)
    assert same_colour(inside_first, first) and 0 < inside_first[3] < 255
    assert same_colour(inside_second, second) and 0 < inside_second[3] < 255
    # Where they overlap both are drawn, the second over the first: more opaque than either alone.
    assert overlay_pixel(browser, 90, 65)[3] > inside_second[3]
    assert overlay_pixel(browser, 50, 120)[3] == 0  # outside both


def test_the_pages_box_labels_stay_inside_apart_and_off_small_objects(stand_in_url, browser):
    browser.get(stand_in_url + "/")
    # renderers.js's drawBoxes on a 200x100 canvas: two boxes on the same small object, one at the right edge.
    labels = browser.execute_script(
        """
        const canvas = document.createElement("canvas");
        canvas.width = 200; canvas.height = 100;
        const context = canvas.getContext("2d");
        const prediction = {boxes: [[20, 40, 36, 56], [21, 41, 37, 57], [185, 0, 200, 15]],
                            labels: ["circle", "circle", "square"], scores: [0.9, 0.6, 0.8]};
        const rectangles = [];
        const fillRect = context.fillRect.bind(context);
        context.fillRect = (x, y, width, height) => { rectangles.push([x, y, width, height]); fillRect(x, y, width, height); };
        drawBoxes(context, prediction);
        return rectangles;
        """
    )
    assert len(labels) == 3
    for x, y, width, height in labels:
        assert x >= 0 and y >= 0 and x + width <= 200 and y + height <= 100  # not cut off
    for index, (x, y, width, height) in enumerate(labels):
        for other_x, other_y, other_width, other_height in labels[index + 1:]:
            assert not (x < other_x + other_width and other_x < x + width and y < other_y + other_height and other_y < y + height)
    for (x, y, width, height), (x1, y1, x2, y2) in zip(labels[:2], [[20, 40, 36, 56], [21, 41, 37, 57]]):
        assert y + height <= y1 or y >= y2  # outside the small object's box
