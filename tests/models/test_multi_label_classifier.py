import json

import pytest
import torch
from allennlp.commands.train import train_model_from_file
from allennlp.common.checks import ConfigurationError
from allennlp.data import Vocabulary
from allennlp.models.archival import load_archive
from allennlp.predictors import Predictor

from allencv.models import MultiLabelImageClassifier
from allencv.modules.im2vec_encoders import FlattenEncoder
from allencv.predictors import MultiLabelImageClassifierPredictor
from allencv.training.metrics import MultiLabelMetrics
from tests.conftest import FIXTURES


def labels(*names):
    return Vocabulary({"labels": {name: 1 for name in names}}, non_padded_namespaces=["labels"])


@pytest.mark.slow  # trains through train_model_from_file
def test_learns_the_generated_multi_label_set(multi_label_manifests, tmp_path, monkeypatch):
    monkeypatch.setenv("TRAIN_PATH", str(multi_label_manifests["train"]))
    monkeypatch.setenv("VALIDATION_PATH", str(multi_label_manifests["valid"]))
    train_model_from_file(str(FIXTURES / "multi_label_classifier.jsonnet"), str(tmp_path / "run"))
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["validation_mAP"] > 0.95 and metrics["validation_macro_f1"] > 0.9
    archive = load_archive(str(tmp_path / "run" / "model.tar.gz"))

    predictor = Predictor.from_archive(archive)
    assert isinstance(predictor, MultiLabelImageClassifierPredictor)
    folder = multi_label_manifests["valid"].parent
    red_and_blue = predictor.predict_json({"image_path": str(folder / "images" / "5.png")})
    assert sorted(red_and_blue["labels"]) == ["blue", "red"]
    assert set(red_and_blue["label_scores"]) == {"blue", "red"}
    assert all(score >= 0.5 for score in red_and_blue["label_scores"].values())
    assert red_and_blue["label_probs"]["green"] < 0.5
    assert predictor.predict_json({"image_path": str(folder / "images" / "0.png")})["labels"] == []


def test_loss_uses_positive_weights_by_label_name():
    model = MultiLabelImageClassifier(labels("cat", "dog"), FlattenEncoder(3, 2, 2), pos_weight={"dog": 3.0})
    assert model._loss.pos_weight.tolist() == [1.0, 3.0]
    images, gold = torch.rand(4, 3, 2, 2), torch.tensor([[1, 0], [0, 1], [1, 1], [0, 0]])
    output = model(images, gold)
    expected = torch.nn.functional.binary_cross_entropy_with_logits(
        output["logits"], gold.float(), pos_weight=torch.tensor([1.0, 3.0])
    )
    assert output["loss"].item() == pytest.approx(expected.item())
    with pytest.raises(ConfigurationError, match="not in the vocabulary: bird"):
        MultiLabelImageClassifier(labels("cat", "dog"), FlattenEncoder(3, 2, 2), pos_weight={"bird": 2.0})


def test_readable_output_lists_the_labels_above_the_threshold_most_probable_first():
    model = MultiLabelImageClassifier(labels("cat", "dog", "fox"), FlattenEncoder(3, 1, 1), threshold=0.3)
    output = model.make_output_human_readable({"probs": torch.tensor([[0.4, 0.9, 0.1], [0.1, 0.2, 0.29]])})
    assert output["labels"] == [["dog", "cat"], []]
    assert output["label_scores"][0] == pytest.approx({"dog": 0.9, "cat": 0.4})
    assert list(output["label_scores"][0]) == ["dog", "cat"]


def test_metrics_map_and_f1_at_the_threshold():
    metric = MultiLabelMetrics(num_labels=2, threshold=0.5)
    probs = torch.tensor([[0.9, 0.2], [0.6, 0.7], [0.3, 0.4], [0.1, 0.8]])
    gold = torch.tensor([[1, 0], [0, 1], [1, 0], [0, 0]])
    metric(probs, gold)
    result = metric.get_metric(reset=True)
    # label 0: ranking 0.9(+) 0.6(-) 0.3(+) 0.1 -> AP = (1 + 2/3) / 2; label 1: 0.8(-) 0.7(+) -> AP = 1/2.
    assert result["mAP"] == pytest.approx(((1 + 2 / 3) / 2 + 0.5) / 2)
    # Predicted at 0.5: label 0 {0, 1}: tp 1 fp 1 fn 1; label 1 {1, 3}: tp 1 fp 1 fn 0.
    assert result["micro_f1"] == pytest.approx(2 * 2 / (2 * 2 + 2 + 1))
    assert result["macro_f1"] == pytest.approx((0.5 + 2 / 3) / 2)
    assert metric.get_metric() == {"mAP": 0.0, "micro_f1": 0.0, "macro_f1": 0.0}
