"""tutorials/shards.md: its conversion commands, and its config trained for an epoch (shrunk)."""
import json
import re
import shlex

import _jsonnet
import pytest
from allennlp.commands.train import train_model
from allennlp.common import Params

from allencv.datasets.to_shards import main
from tests.conftest import REPO_ROOT, write_colour_folder

TUTORIAL = (REPO_ROOT / "tutorials" / "shards.md").read_text()


def blocks(language: str):
    return re.findall(rf"```{language}\n(.*?)```", TUTORIAL, flags=re.DOTALL)


@pytest.mark.slow  # trains
def test_the_tutorial_converts_and_trains_from_shards(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_colour_folder(tmp_path / "data" / "train", per_class=4, size=8)
    write_colour_folder(tmp_path / "data" / "valid", per_class=2, size=8, seed=1)
    commands = [line for block in blocks("bash") for line in block.splitlines()
                if line.startswith("python -m allencv.datasets.to_shards")]
    assert len(commands) == 2
    for command in commands:
        main(shlex.split(command)[3:])
    assert json.loads((tmp_path / "shards" / "train" / "index.json").read_text())["total"] == 8

    config = json.loads(_jsonnet.evaluate_snippet("config", blocks("jsonnet")[0]))
    # Shrunk: no worker processes, a linear model on the 224 px crops, one epoch.
    config["data_loader"]["num_workers"] = 0
    config["model"] = {"type": "basic_image_classifier",
                       "im2vec_encoder": {"type": "flatten", "input_channels": 3, "input_height": 224,
                                          "input_width": 224}}
    config["trainer"] = {"optimizer": {"type": "adam", "lr": 0.001}, "num_epochs": 1, "cuda_device": -1}
    model = train_model(Params(config), str(tmp_path / "model"))
    assert model.vocab.get_index_to_token_vocabulary("labels") == {0: "blue", 1: "red"}
    metrics = json.loads((tmp_path / "model" / "metrics.json").read_text())
    assert "validation_accuracy" in metrics and (tmp_path / "model" / "model.tar.gz").exists()
