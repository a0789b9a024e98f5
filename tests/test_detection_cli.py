"""
Object detection on the user's path: `allennlp train` of training_config/faster_rcnn.jsonnet and
keypoint_rcnn.jsonnet as subprocesses (shrunk copies of the mAP benchmark's runs), then `evaluate`
and `predict` in-process.
"""
import json
from pathlib import Path
from typing import Dict

import PIL.Image
import pytest

from allencv.datasets.detection_shapes import write_shapes_dataset
from tests.conftest import REPO_ROOT, run, run_in_process

pytestmark = pytest.mark.slow  # subprocess training of detectors


def train_on_shapes(workdir: Path, config: str, **overrides) -> Dict[str, float]:
    """
    `allennlp train` of `training_config/<config>` for one epoch on 4 training and 2 validation
    shapes images of 64 px, into `workdir/run`; returns its metrics.
    """
    files = write_shapes_dataset(str(workdir / "shapes"), {"train": 4, "valid": 2}, size=64, seed=0)
    # Dotted keys: allennlp merges them into the config, where a nested dict would replace the entry.
    overrides = {"trainer.num_epochs": 1, "trainer.learning_rate_scheduler.t_initial": 1,
                 "random_seed": 0, "numpy_seed": 0, "pytorch_seed": 0,
                 "model.min_size": 64, "model.max_size": 64, "data_loader.batch_size": 2, **overrides}
    run(["train", str(REPO_ROOT / "training_config" / config), "-s", str(workdir / "run"),
         "--include-package", "allencv", "-o", json.dumps(overrides)],
        env={"TRAIN_PATH": files["train"], "VALIDATION_PATH": files["valid"]})
    return json.loads((workdir / "run" / "metrics.json").read_text())


@pytest.fixture(scope="module")
def trained_detector(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("detect_cli")
    return workdir, train_on_shapes(workdir, "faster_rcnn.jsonnet")


def test_train_reports_losses_and_coco_metrics(trained_detector):
    workdir, metrics = trained_detector
    assert (workdir / "run" / "model.tar.gz").exists()
    assert metrics["training_loss"] > 0
    assert {"training_loss_classifier", "training_loss_objectness"} <= set(metrics)
    assert {"validation_map", "validation_map_50", "best_validation_map_50"} <= set(metrics)
    assert "validation_loss" not in metrics  # torchvision's detectors compute none
    assert 0.0 <= metrics["best_validation_map_50"] <= 1.0


def test_evaluate_reports_coco_map_and_per_class_ap(trained_detector, tmp_path):
    workdir, _ = trained_detector
    output = tmp_path / "metrics.json"
    run_in_process(["evaluate", str(workdir / "run" / "model.tar.gz"), str(workdir / "shapes" / "valid.json"),
                    "--output-file", str(output), "--include-package", "allencv"])
    metrics = json.loads(output.read_text())
    assert {"map", "map_50", "map_75", "mar_100"} <= set(metrics)
    assert any(name.startswith("AP_") for name in metrics)


def test_predict_with_overlays_and_a_bad_line(trained_detector, tmp_path):
    workdir, _ = trained_detector
    images = sorted((workdir / "shapes" / "valid").iterdir())
    lines = [json.dumps({"image_path": str(path)}) for path in images] + [json.dumps({"image_path": "/no/such.png"})]
    (tmp_path / "input.jsonl").write_text("\n".join(lines) + "\n")
    overlays = tmp_path / "overlays"
    run_in_process(["predict", str(workdir / "run" / "model.tar.gz"), str(tmp_path / "input.jsonl"),
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


@pytest.fixture(scope="module")
def trained_keypoint_detector(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("keypoint_cli")
    return workdir, train_on_shapes(workdir, "keypoint_rcnn.jsonnet", **{"model.keypoint_head_channels": [8]})


def test_keypoint_training_reports_the_keypoint_loss_and_ap(trained_keypoint_detector):
    workdir, metrics = trained_keypoint_detector
    assert metrics["training_loss_keypoint"] > 0
    assert {"validation_map_50", "validation_keypoint_map", "validation_keypoint_map_50", "validation_keypoint_mar"} <= set(metrics)
    # No made-up validation loss (see DropUnmeasuredValidationLoss), in either metrics file.
    epoch = json.loads((workdir / "run" / "metrics_epoch_0.json").read_text())
    assert not {"validation_loss", "best_validation_loss"} & (set(metrics) | set(epoch))
    assert "validation_keypoint_map" in epoch


def test_keypoint_evaluate_reports_keypoint_ap_and_no_loss(trained_keypoint_detector, tmp_path):
    workdir, _ = trained_keypoint_detector
    run_in_process(["evaluate", str(workdir / "run" / "model.tar.gz"), str(workdir / "shapes" / "valid.json"),
                    "--output-file", str(tmp_path / "metrics.json"), "--include-package", "allencv"])
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert {"map_50", "keypoint_map", "keypoint_map_50"} <= set(metrics) and "loss" not in metrics


def test_keypoint_predict_with_overlays(trained_keypoint_detector, tmp_path):
    workdir, _ = trained_keypoint_detector
    images = sorted((workdir / "shapes" / "valid").iterdir())
    (tmp_path / "input.jsonl").write_text("".join(json.dumps({"image_path": str(path)}) + "\n" for path in images))
    run_in_process(["predict", str(workdir / "run" / "model.tar.gz"), str(tmp_path / "input.jsonl"),
                    "--output-file", str(tmp_path / "out.jsonl"), "--silent",
                    "--predictor-args",
                    json.dumps({"score_threshold": 0.0, "overlay_dir": str(tmp_path / "overlays")}),
                    "--include-package", "allencv"])
    outputs = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert len(outputs) == len(images)
    for output in outputs:
        assert output["keypoint_names"] == ["top", "bottom_left", "bottom_right"]
        assert sorted(map(sorted, output["keypoint_skeleton"])) == [[0, 1], [0, 2], [1, 2]]
        assert len(output["keypoints"]) == len(output["keypoint_scores"]) == len(output["boxes"]) > 0
        assert all(len(points) == 3 for points in output["keypoints"])
        with PIL.Image.open(output["overlay_path"]) as overlay:
            assert overlay.size == (64, 64)
