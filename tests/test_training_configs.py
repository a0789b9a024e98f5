"""Every config in training_config/ builds: its reader reads, and its model is constructed."""
import pytest
from allennlp.common import Params
from allennlp.data import DatasetReader, Vocabulary
from allennlp.models import Model

from tests.conftest import REPO_ROOT, write_cached_weights

CONFIGS = sorted((REPO_ROOT / "training_config").glob("*.jsonnet"))


@pytest.mark.parametrize("config", CONFIGS, ids=[config.name for config in CONFIGS])
def test_config_builds(config, colour_folders, shapes_folders, torch_home, monkeypatch):
    for model_name in ("resnet18", "resnet50"):
        write_cached_weights(torch_home, model_name)
    data = shapes_folders if "segmentation" in config.name else colour_folders
    monkeypatch.setenv("TRAIN_PATH", str(data / "train"))
    monkeypatch.setenv("VALIDATION_PATH", str(data / "valid"))
    params = Params.from_file(str(config))
    reader = DatasetReader.from_params(params.pop("dataset_reader"))
    instances = list(reader.read(params.pop("train_data_path")))
    assert instances
    vocab = Vocabulary.from_instances(instances)
    model = Model.from_params(vocab=vocab, params=params.pop("model"))
    assert model is not None
