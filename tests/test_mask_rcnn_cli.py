"""
Instance segmentation on the user's path: `allennlp train` of training_config/mask_rcnn.jsonnet
(through a short run of benchmarks/mask_rcnn.py), then `evaluate` and `predict` as subprocesses.
"""
import json

import PIL.Image
import pycocotools.mask
import pytest

from benchmarks.mask_rcnn import train_on_shapes
from tests.conftest import run

pytestmark = pytest.mark.slow  # subprocess training of a detector


@pytest.fixture(scope="module")
def trained_mask_rcnn(tmp_path_factory):
    """The mask benchmark's smoke version: 4 training and 2 validation images of 64 px, one epoch."""
    workdir = tmp_path_factory.mktemp("mask_cli")
    return workdir, train_on_shapes(workdir, num_train=4, num_valid=2, size=64, epochs=1, touching=0.5)


def test_training_reports_the_mask_loss_and_mask_ap(trained_mask_rcnn):
    _, metrics = trained_mask_rcnn
    assert metrics["training_loss_mask"] > 0
    assert {"validation_map_50", "validation_mask_map", "validation_mask_map_50", "best_validation_mask_map_50"} <= set(metrics)
    assert "validation_loss" not in metrics


def test_evaluate_reports_box_and_mask_ap(trained_mask_rcnn, tmp_path):
    workdir, _ = trained_mask_rcnn
    run(["evaluate", str(workdir / "run" / "model.tar.gz"), str(workdir / "shapes" / "valid.json"),
         "--output-file", str(tmp_path / "metrics.json"), "--include-package", "allencv"])
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert {"map", "map_50", "mask_map", "mask_map_50", "mask_map_75", "mask_mar_100"} <= set(metrics)
    assert all(isinstance(value, float) for value in metrics.values()) and "loss" not in metrics


def test_predict_gives_rle_masks_and_overlays(trained_mask_rcnn, tmp_path):
    workdir, _ = trained_mask_rcnn
    images = sorted((workdir / "shapes" / "valid").iterdir())
    (tmp_path / "input.jsonl").write_text("".join(json.dumps({"image_path": str(path)}) + "\n" for path in images))
    run(["predict", str(workdir / "run" / "model.tar.gz"), str(tmp_path / "input.jsonl"),
         "--output-file", str(tmp_path / "out.jsonl"), "--silent",
         "--predictor-args", json.dumps({"score_threshold": 0.0, "overlay_dir": str(tmp_path / "overlays")}),
         "--include-package", "allencv"])
    outputs = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert len(outputs) == len(images)
    for output in outputs:
        assert len(output["masks"]) == len(output["boxes"]) == len(output["labels"]) == len(output["scores"]) > 0
        for rle in output["masks"]:
            assert pycocotools.mask.decode({**rle, "counts": rle["counts"].encode()}).shape == (64, 64)
        with PIL.Image.open(output["overlay_path"]) as overlay:
            assert overlay.size == (64, 64)
