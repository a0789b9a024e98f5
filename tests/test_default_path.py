"""
A user's own config, which names no evaluator and keeps allennlp's default callbacks, gets the
metrics table at the end of `allennlp train` and from `allennlp evaluate` (without
`--output-file`), and images/s in the progress bar.
"""
import json

import pytest

from tests.conftest import run

pytestmark = pytest.mark.slow  # `allennlp train` and `allennlp evaluate` as subprocesses

#: What a user writes: no `evaluation`, no callbacks, no `data_loader.type`.
USER_CONFIG = {
    "dataset_reader": {"type": "image_classification_directory", "transforms": [{"type": "resize", "size": 16}, {"type": "normalize"}]},
    "train_data_path": "TRAIN",
    "validation_data_path": "VALID",
    "model": {
        "type": "basic_image_classifier",
        "im2im_encoder": {"type": "small_cnn", "stage_channels": [4, 8], "convs_per_stage": 1},
        "im2vec_encoder": {"type": "global_pool", "input_channels": 8},
    },
    "data_loader": {"batch_size": 4},
    "trainer": {"optimizer": "adam", "num_epochs": 1},
}


def test_a_users_config_gets_the_summary_tables_and_images_per_second(colour_folders, tmp_path):
    config = tmp_path / "mine.json"
    paths = {"train_data_path": str(colour_folders / "train"), "validation_data_path": str(colour_folders / "valid")}
    config.write_text(json.dumps({**USER_CONFIG, **paths}))

    trained = run(["train", str(config), "-s", str(tmp_path / "run"), "--include-package", "allencv"])
    assert "Metrics of epoch 0 (best epoch: 0):" in trained.stdout + trained.stderr
    assert "images_per_s: " in trained.stdout + trained.stderr  # allennlp's bar, after the first batch

    evaluated = run(["evaluate", str(tmp_path / "run" / "model.tar.gz"), str(colour_folders / "valid"), "--include-package", "allencv"])
    output = evaluated.stdout + evaluated.stderr
    table = output[output.index("Evaluation metrics:"):]
    assert "accuracy" in table and "precision" in table  # overall rows, then the per-label rows
