import copy

import pytest
import torch
from allennlp.common import Params
from allennlp.data import Vocabulary
from allennlp.models import Model

from allencv.modules.pretrained import PretrainedWeightsUnavailable
from tests.conftest import write_cached_weights

ENCODERS = {
    "im2im_encoder": {"type": "pretrained_resnet", "resnet_model": "resnet18"},
    "im2vec_encoder": {"type": "flatten", "input_channels": 512, "input_height": 1, "input_width": 1},
}


@pytest.mark.parametrize("model_type", ["basic_image_classifier", "multi_label_image_classifier"])
def test_an_archive_loads_without_the_pretrained_weights(model_type, tmp_path, torch_home, monkeypatch):
    model_params = {"type": model_type, **ENCODERS}
    write_cached_weights(torch_home, "resnet18")
    vocab = Vocabulary({"labels": {"a": 1, "b": 1}})
    model = Model.from_params(vocab=vocab, params=Params(copy.deepcopy(model_params)))
    vocab.save_to_files(str(tmp_path / "vocabulary"))
    torch.save(model.state_dict(), tmp_path / "best.th")

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "a_machine_without_imagenet_weights"))
    loaded = Model.load(Params({"model": copy.deepcopy(model_params)}), str(tmp_path))
    assert torch.equal(loaded._im2im_encoder.model.conv1.weight, model._im2im_encoder.model.conv1.weight)
    # Building the model from its config (to train it) still needs them, and says so.
    with pytest.raises(PretrainedWeightsUnavailable):
        Model.from_params(vocab=vocab, params=Params(copy.deepcopy(model_params)))
