"""Object detection on the user's path: `allennlp train`, `evaluate` and `predict` as subprocesses."""
import json

import PIL.Image
import pytest

from tests.conftest import FIXTURES
from tests.test_cli import run


@pytest.fixture(scope="module")
def trained_detector(shapes_dataset, tmp_path_factory):
    serialization_dir = tmp_path_factory.mktemp("detect_cli") / "model"
    env = {
        "DETECTOR": "faster_rcnn",
        "DETECTION_TRAIN_PATH": str(shapes_dataset / "train.json"),
        "DETECTION_VALIDATION_PATH": str(shapes_dataset / "valid.json"),
    }
    run(["train", str(FIXTURES / "shapes_detector.jsonnet"), "-s", str(serialization_dir),
         "--include-package", "allencv"], env=env)
    return serialization_dir


def test_train_reports_losses_and_coco_metrics(trained_detector):
    metrics = json.loads((trained_detector / "metrics.json").read_text())
    assert {"training_loss_classifier", "training_loss_objectness"} <= set(metrics)
    assert {"validation_map", "validation_map_50", "best_validation_map_50"} <= set(metrics)


def test_evaluate_reports_coco_map_and_per_class_ap(trained_detector, shapes_dataset, tmp_path):
    output = tmp_path / "metrics.json"
    run(["evaluate", str(trained_detector / "model.tar.gz"), str(shapes_dataset / "valid.json"),
         "--output-file", str(output), "--include-package", "allencv"])
    metrics = json.loads(output.read_text())
    assert {"map", "map_50", "map_75", "mar_100"} <= set(metrics)
    assert any(name.startswith("AP_") for name in metrics)


def test_predict_with_overlays_and_a_bad_line(trained_detector, shapes_dataset, tmp_path):
    images = sorted((shapes_dataset / "valid").iterdir())
    lines = [json.dumps({"image_path": str(path)}) for path in images] + [json.dumps({"image_path": "/no/such.png"})]
    (tmp_path / "input.jsonl").write_text("\n".join(lines) + "\n")
    overlays = tmp_path / "overlays"
    run(["predict", str(trained_detector / "model.tar.gz"), str(tmp_path / "input.jsonl"),
         "--output-file", str(tmp_path / "out.jsonl"), "--batch-size", "2", "--silent",
         "--predictor-args", json.dumps({"score_threshold": 0.0, "overlay_dir": str(overlays)}),
         "--include-package", "allencv"])
    outputs = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert len(outputs) == 3 and "/no/such.png" in outputs[2]["error"]
    for output, image in zip(outputs, images):
        assert output["image_path"] == str(image)
        assert len(output["boxes"]) == len(output["labels"]) == len(output["scores"]) > 0
        assert set(output["labels"]) <= {"circle", "square", "triangle"}
        with PIL.Image.open(output["overlay_path"]) as overlay:
            assert overlay.size == (64, 64)
