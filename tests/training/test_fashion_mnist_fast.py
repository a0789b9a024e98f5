"""The faster Fashion-MNIST recipe trains and evaluates through allennlp's entry points (shrunk to 2 epochs of 16 images)."""
import json
import sys

import pytest
from allennlp.commands import main
from allennlp.commands.train import train_model_from_file

import allencv  # noqa: F401  (registers the readers and models)

from tests.conftest import REPO_ROOT, colour_image

pytestmark = pytest.mark.slow  # trains and evaluates the recipe

CONFIG = REPO_ROOT / "training_config" / "fashion_mnist_fast.jsonnet"


def write_clothes(root, per_class, seed):
    for index, (label, colour) in enumerate({"bag": (200, 200, 200), "coat": (40, 40, 40)}.items()):
        (root / label).mkdir(parents=True)
        for n in range(per_class):
            colour_image(colour, size=28, seed=seed + 10 * index + n).convert("L").save(root / label / f"{n}.png")
    return root


def test_the_fast_recipe_trains_and_evaluates(tmp_path, monkeypatch):
    monkeypatch.setenv("TRAIN_PATH", str(write_clothes(tmp_path / "train", 8, 0)))
    monkeypatch.setenv("VALIDATION_PATH", str(write_clothes(tmp_path / "valid", 2, 100)))
    overrides = {"trainer.num_epochs": 2, "data_loader.batch_size": 8, "trainer.learning_rate_scheduler.warmup_steps": 1}
    train_model_from_file(str(CONFIG), str(tmp_path / "run"), overrides=json.dumps(overrides))
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["epoch"] == 1 and 0.0 <= metrics["best_validation_accuracy"] <= 1.0
    monkeypatch.setattr(sys, "argv", ["allennlp", "evaluate", str(tmp_path / "run" / "model.tar.gz"),
                                      str(tmp_path / "valid"), "--output-file", str(tmp_path / "test.json")])
    main()
    assert 0.0 <= json.loads((tmp_path / "test.json").read_text())["accuracy"] <= 1.0
