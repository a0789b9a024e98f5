import copy

import pytest
import torch
from allennlp.common import Params
from allennlp.common.checks import ConfigurationError
from allennlp.common.testing import ModelTestCase
from allennlp.data import Vocabulary
from allennlp.models import Model

from allencv.models import BasicImageClassifier
from allencv.modules.im2im_encoders import ResnetEncoder
from allencv.modules.im2vec_encoders import FlattenEncoder
from tests.conftest import FIXTURES


class TestBasicImageClassifier(ModelTestCase):
    @pytest.fixture(autouse=True)
    def data(self, colour_folders, monkeypatch):
        monkeypatch.setenv("TRAIN_PATH", str(colour_folders / "train"))
        monkeypatch.setenv("VALIDATION_PATH", str(colour_folders / "valid"))
        self.param_file = FIXTURES / "colour_classifier.jsonnet"
        self.set_up_model(self.param_file, colour_folders / "train")

    @staticmethod
    def check_model_computes_gradients_correctly(model, model_batch, *args, **kwargs):
        # allennlp's check runs a training-mode forward pass, which moves batch norm's running
        # statistics; restore them so the saved and the loaded model can be compared afterwards.
        state = copy.deepcopy(model.state_dict())
        ModelTestCase.check_model_computes_gradients_correctly(model, model_batch, *args, **kwargs)
        model.load_state_dict(state)

    def test_can_train_save_and_load(self):
        self.ensure_model_can_train_save_and_load(self.param_file)

    def test_forward_outputs_and_metrics(self):
        output = self.model.forward_on_instances(self.instances[:3])
        assert set(output[0]) >= {"logits", "probs", "label", "label_probs", "image_path"}
        assert output[0]["label"] in {"blue", "red"}
        assert sum(output[0]["label_probs"].values()) == pytest.approx(1.0, abs=1e-5)
        assert set(self.model.get_metrics()) == {"accuracy"}  # no top-k with two labels


def labels(count):
    return Vocabulary({"labels": {f"class{i}": 1 for i in range(count)}})


def test_top_k_accuracy_above_two_classes():
    model = BasicImageClassifier(labels(8), FlattenEncoder(3, 4, 4))
    output = model(torch.rand(4, 3, 4, 4), torch.tensor([0, 1, 2, 3]))
    assert output["loss"].dim() == 0
    assert set(model.get_metrics()) == {"accuracy", "accuracy_top5"}
    assert set(BasicImageClassifier(labels(3), FlattenEncoder(3, 4, 4)).get_metrics()) == {"accuracy", "accuracy_top2"}


def test_channel_mismatch_fails_at_construction_naming_the_key():
    with pytest.raises(ConfigurationError, match="im2vec_encoder.input_channels to 512"):
        BasicImageClassifier(labels(2), FlattenEncoder(2048, 1, 1), ResnetEncoder("resnet18", weights=None))


def test_size_mismatch_fails_at_construction_naming_the_key():
    with pytest.raises(ConfigurationError, match="input_height and input_width to 1 and 1"):
        BasicImageClassifier(labels(2), FlattenEncoder(512, 7, 7), ResnetEncoder("resnet18", weights=None))


def test_num_labels_must_match_the_vocabulary():
    with pytest.raises(ConfigurationError, match="num_labels is 3"):
        BasicImageClassifier(labels(2), FlattenEncoder(3, 4, 4), num_labels=3)


def test_from_params_with_initializer_and_dropout():
    model = Model.from_params(vocab=labels(2), params=Params({
        "type": "basic_image_classifier",
        "im2vec_encoder": {"type": "flatten", "input_channels": 3, "input_height": 2, "input_width": 2},
        "dropout": 0.5,
        "initializer": {"regexes": [["_classification_layer.weight", {"type": "constant", "val": 0.25}]]},
    }))
    assert torch.all(model._classification_layer.weight == 0.25)
    assert model(torch.rand(2, 3, 2, 2))["probs"].shape == (2, 2)
