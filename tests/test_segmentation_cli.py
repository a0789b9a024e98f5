"""
The user's path for segmentation: `allennlp train` of training_config/semantic_segmentation.jsonnet
on generated shapes (the mIoU benchmark's smoke version), then `evaluate` and `predict`.
"""
import base64
import io
import json

import numpy
import PIL.Image
import pytest
from allennlp.models.archival import load_archive
from allennlp.predictors import Predictor

from allencv.datasets.segmentation_shapes import write_shapes_dataset
from tests.conftest import FIXTURES, REPO_ROOT, run, run_in_process

pytestmark = pytest.mark.slow  # subprocess training of segmentation models


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """The shipped config, 3 epochs on 64 training and 16 validation images of 32 px; its metrics."""
    workdir = tmp_path_factory.mktemp("segmentation")
    write_shapes_dataset(str(workdir / "shapes"), 32, {"train": 64, "valid": 16})
    env = {"TRAIN_PATH": str(workdir / "shapes" / "train"), "VALIDATION_PATH": str(workdir / "shapes" / "valid")}
    run(["train", str(REPO_ROOT / "training_config" / "semantic_segmentation.jsonnet"), "-s", str(workdir / "run"),
         "--include-package", "allencv", "-o", json.dumps({"trainer.num_epochs": 3})], env=env)
    return workdir, json.loads((workdir / "run" / "metrics.json").read_text())


def test_training_learns(trained):
    _, metrics = trained
    assert metrics["best_validation_mean_iou"] >= 0.3
    assert {"best_validation_iou_background", "best_validation_pixel_accuracy"} <= set(metrics)


def test_evaluate_and_predict_with_an_overlay(trained, tmp_path):
    workdir, _ = trained
    archive = str(workdir / "run" / "model.tar.gz")
    valid = workdir / "shapes" / "valid"
    run_in_process(["evaluate", archive, str(valid), "--output-file", str(tmp_path / "metrics.json"),
                    "--include-package", "allencv"])
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert 0.0 <= metrics["mean_iou"] <= 1.0 and "loss" in metrics and "iou_background" in metrics

    image = sorted((valid / "images").iterdir())[0]
    (tmp_path / "input.jsonl").write_text(json.dumps({"image_path": str(image)}) + "\n{broken\n")
    run_in_process(["predict", archive, str(tmp_path / "input.jsonl"), "--output-file", str(tmp_path / "out.jsonl"),
                    "--predictor-args", json.dumps({"overlay": True}), "--silent", "--include-package", "allencv"])
    prediction, error = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    mask = PIL.Image.open(io.BytesIO(base64.b64decode(prediction["mask"])))
    assert mask.size == (32, 32) and set(numpy.unique(numpy.asarray(mask))) <= {0, 1, 2, 3}
    assert set(prediction["classes_present"]) <= {"background", "circle", "square", "triangle"}
    overlay = PIL.Image.open(io.BytesIO(base64.b64decode(prediction["overlay"])))
    assert overlay.size == (32, 32) and overlay.mode == "RGB"
    assert "not a JSON line" in error["error"]


def test_train_from_coco_files_then_predict(shapes_coco, tmp_path):
    env = {"TRAIN_PATH": str(shapes_coco["train"]), "VALIDATION_PATH": str(shapes_coco["valid"])}
    run_in_process(["train", str(FIXTURES / "shapes_coco_segmentation.jsonnet"), "-s", str(tmp_path / "run"),
                    "--include-package", "allencv"], env=env)
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["epoch"] == 0 and {"validation_mean_iou", "validation_iou_triangle"} <= set(metrics)
    # The classes are the categories by id, after the background.
    labels = (tmp_path / "run" / "vocabulary" / "labels.txt").read_text().split()
    assert labels == ["background", "circle", "square", "triangle"]
    # The archive's coco_segmentation reader serves the predictor, which needs no COCO file.
    predictor = Predictor.from_archive(load_archive(str(tmp_path / "run" / "model.tar.gz")))
    image = shapes_coco["valid"].parent / json.loads(shapes_coco["valid"].read_text())["images"][0]["file_name"]
    prediction = predictor.predict(str(image))
    assert prediction["class_names"] == labels and set(prediction["classes_present"]) <= set(labels)
