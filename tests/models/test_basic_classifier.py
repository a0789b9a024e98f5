
import pytest
import torch
from allennlp.common import Params
from allennlp.common.checks import ConfigurationError
from allennlp.data import Vocabulary
from allennlp.models import Model

from allencv.models import BasicImageClassifier
from allencv.modules.im2im_encoders import ResnetEncoder
from allencv.modules import TestTimeAugmentation
from allencv.modules.im2vec_encoders import FlattenEncoder
from tests.conftest import FIXTURES
from tests.vision_model_test_case import VisionModelTestCase


class TestBasicImageClassifier(VisionModelTestCase):
    @pytest.fixture(autouse=True)
    def data(self, colour_folders, monkeypatch):
        monkeypatch.setenv("TRAIN_PATH", str(colour_folders / "train"))
        monkeypatch.setenv("VALIDATION_PATH", str(colour_folders / "valid"))
        self.param_file = FIXTURES / "colour_classifier.jsonnet"
        self.set_up_model(self.param_file, colour_folders / "train")

    @pytest.mark.slow  # trains, saves and loads through allennlp's train_model_from_file
    def test_can_train_save_and_load(self):
        self.ensure_model_can_train_save_and_load(self.param_file)

    def test_forward_outputs_and_metrics(self):
        output = self.model.forward_on_instances(self.instances[:3])
        assert set(output[0]) >= {"logits", "probs", "label", "label_probs", "image_path"}
        assert output[0]["label"] in {"blue", "red"}
        assert sum(output[0]["label_probs"].values()) == pytest.approx(1.0, abs=1e-5)
        assert set(self.model.get_metrics()) == {"accuracy", "macro_f1", "weighted_f1"}  # no top-k with two labels


def labels(count):
    return Vocabulary({"labels": {f"class{i}": 1 for i in range(count)}})


def test_top_k_accuracy_above_two_classes():
    model = BasicImageClassifier(labels(8), FlattenEncoder(3, 4, 4))
    output = model(torch.rand(4, 3, 4, 4), torch.tensor([0, 1, 2, 3]))
    assert output["loss"].dim() == 0
    assert set(model.get_metrics()) == {"accuracy", "accuracy_top5", "macro_f1", "weighted_f1"}
    assert "accuracy_top2" in BasicImageClassifier(labels(3), FlattenEncoder(3, 4, 4)).get_metrics()


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


def classifier_predicting(vocab_size):
    """A model whose logits are its (vocab_size x 1 x 1) input, so a test chooses the predictions."""
    model = BasicImageClassifier(labels(vocab_size), FlattenEncoder(vocab_size, 1, 1))
    with torch.no_grad():
        model._classification_layer.weight.copy_(torch.eye(vocab_size))
        model._classification_layer.bias.zero_()
    return model


def test_flat_per_class_metrics_and_the_confusion_matrix_by_label_name():
    model = classifier_predicting(3)
    gold = torch.tensor([0, 0, 0, 1, 1, 2])
    predicted = torch.tensor([0, 0, 1, 1, 2, 2])
    images = torch.nn.functional.one_hot(predicted, 3).float().view(6, 3, 1, 1)
    model(images, gold)
    metrics = model.get_metrics(reset=True)
    assert metrics["accuracy"] == pytest.approx(4 / 6)
    assert all(isinstance(value, float) for value in metrics.values())
    assert model.get_confusion_matrix() == {
        "labels": ["class0", "class1", "class2"],
        "counts": [[2, 1, 0], [0, 1, 1], [0, 0, 1]],
    }
    # class0: p=1, r=2/3; class1: p=1/2, r=1/2; class2: p=1/2, r=1.
    f1 = [0.8, 0.5, 2 / 3]
    assert [metrics["precision_class0"], metrics["recall_class0"], metrics["f1_class0"]] == pytest.approx([1.0, 2 / 3, 0.8])
    assert [metrics["precision_class2"], metrics["recall_class2"], metrics["f1_class2"]] == pytest.approx([0.5, 1.0, 2 / 3])
    assert metrics["macro_f1"] == pytest.approx(sum(f1) / 3)
    assert metrics["weighted_f1"] == pytest.approx((3 * f1[0] + 2 * f1[1] + f1[2]) / 6)
    assert model.get_metrics()["macro_f1"] == 0.0  # reset
    assert "f1_class0" not in model.get_metrics()  # per-label metrics only at the end of an epoch
    model(images[:2], gold[:2])  # only class0 seen: the macro average leaves out unseen labels
    assert model.get_metrics()["macro_f1"] == 1.0


def test_test_time_augmentation_averages_probabilities_in_eval_mode_only():
    model = BasicImageClassifier(labels(2), FlattenEncoder(3, 4, 4), test_time_augmentation=TestTimeAugmentation(True, 0.5))
    images = torch.rand(2, 3, 4, 4)
    views = TestTimeAugmentation(True, 0.5).views(images)
    assert len(views) == 12 and all(view.shape == images.shape for view in views)
    assert torch.equal(views[6], images.flip(-1))
    model.eval()
    expected = torch.stack([torch.softmax(model.logits(view), -1) for view in views]).mean(0)
    assert torch.allclose(model(images)["probs"], expected, atol=1e-6)
    model.train()
    assert torch.allclose(model(images)["probs"], torch.softmax(model.logits(images), -1))
    with pytest.raises(ConfigurationError, match="crop_fraction must be in"):
        TestTimeAugmentation(crop_fraction=1.5)
