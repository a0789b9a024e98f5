"""`allennlp train` with `"distributed": {"cuda_devices": [-1, -1]}`: 2 CPU processes (gloo)."""
import pytest
import json
import shutil

from tests.conftest import FIXTURES, run, run_in_process, write_colour_folder

pytestmark = pytest.mark.slow  # distributed training


def test_two_process_training_aggregates_metrics_over_both_shards(tmp_path):
    write_colour_folder(tmp_path / "train", per_class=8, size=8)
    write_colour_folder(tmp_path / "valid", per_class=3, size=8, seed=1)
    # 9 validation images, 2 of them red pictures in the blue folder: a colour-reading model
    # scores k/9 with 0 < k < 9, which neither rank's own 4 or 5 images can give.
    for name in ("0.jpg", "1.png"):
        shutil.copy(tmp_path / "valid" / "red" / name, tmp_path / "valid" / "blue" / f"red_{name}")
    shutil.copy(tmp_path / "valid" / "red" / "2.jpg", tmp_path / "valid" / "red" / "extra.jpg")
    serialization_dir = tmp_path / "model"
    env = {"TRAIN_PATH": str(tmp_path / "train"), "VALIDATION_PATH": str(tmp_path / "valid")}
    run(["train", str(FIXTURES / "colour_classifier_distributed.jsonnet"), "-s", str(serialization_dir),
         "--include-package", "allencv"], env=env)

    metrics = json.loads((serialization_dir / "metrics.json").read_text())
    assert metrics["epoch"] == 1
    # The archived model (rank 0's weights, which DDP keeps equal on both ranks) evaluated in
    # one process on all 9 images scores exactly what the 2 processes reported together.
    output = tmp_path / "evaluation.json"
    run_in_process(["evaluate", str(serialization_dir / "model.tar.gz"), str(tmp_path / "valid"), "--output-file",
                    str(output), "--include-package", "allencv"])
    accuracy = json.loads(output.read_text())["accuracy"]
    assert accuracy * 9 == round(accuracy * 9) and 0 < accuracy < 1
    assert metrics["best_validation_accuracy"] == accuracy
