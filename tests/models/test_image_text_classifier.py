import json

import pytest
import torch
from allennlp.common import Params
from allennlp.common.checks import ConfigurationError
from allennlp.data import Batch, Vocabulary
from allennlp.models import Model

from allencv.data.dataset_readers import ImageTextManifestReader
from allencv.models import ImageTextClassifier
from tests.conftest import REPO_ROOT
from tests.vision_model_test_case import VisionModelTestCase

CONFIG = REPO_ROOT / "training_config" / "image_text_classifier.jsonnet"
#: The shipped config, shrunk to the 16 px fixture images and one epoch.
SMALL = json.dumps({
    "dataset_reader.transforms": [{"type": "resize", "size": [16, 16]}, {"type": "normalize"}],
    "trainer.num_epochs": 1,
    "data_loader.batch_size": 16,
})


class TestImageTextClassifier(VisionModelTestCase):
    @pytest.fixture(autouse=True)
    def data(self, caption_match_manifests, monkeypatch):
        monkeypatch.setenv("TRAIN_PATH", str(caption_match_manifests["train"]))
        monkeypatch.setenv("VALIDATION_PATH", str(caption_match_manifests["valid"]))
        self.set_up_model(CONFIG, caption_match_manifests["train"])

    @pytest.mark.slow  # trains, saves and loads through allennlp's train_model_from_file
    def test_can_train_save_and_load(self):
        self.ensure_model_can_train_save_and_load(CONFIG, overrides=SMALL)

    def test_forward_outputs_and_metrics(self):
        output = self.model.forward_on_instances(self.instances[:3])
        assert set(output[0]) >= {"logits", "probs", "label", "label_probs", "image_path"}
        assert output[0]["label"] in {"match", "mismatch"}
        assert set(self.model.get_metrics()) >= {"accuracy", "macro_f1", "weighted_f1"}

    def test_switched_off_modality_is_not_looked_at(self):
        batch = Batch(self.instances[:4])
        batch.index_instances(self.vocab)
        tensors = batch.as_tensor_dict()
        for switch, changed in (("use_text", "caption"), ("use_image", "image")):
            params = Params.from_file(str(CONFIG)).pop("model")
            params[switch] = False
            model = Model.from_params(vocab=self.vocab, params=params).eval()
            other = dict(tensors)
            if changed == "image":
                other["image"] = torch.randn_like(tensors["image"])
            else:
                other["caption"] = {"tokens": {"tokens": tensors["caption"]["tokens"]["tokens"].flip(0)}}
            assert torch.equal(model(**tensors)["logits"], model(**other)["logits"])
            assert not torch.equal(self.model.eval()(**tensors)["logits"], self.model(**other)["logits"])


def small_model(vocab, **kwargs):
    params = Params({
        "type": "image_text_classifier",
        "im2vec_encoder": {"type": "global_pool", "input_channels": 3},
        "text_field_embedders": {"text": {"token_embedders": {"tokens": {"type": "embedding", "embedding_dim": 4}}}},
        "seq2vec_encoders": {"text": {"type": "lstm", "input_size": 4, "hidden_size": 5}},
        **kwargs,
    })
    return Model.from_params(vocab=vocab, params=params)


@pytest.fixture
def vocab():
    vocab = Vocabulary({"labels": {"a": 1, "b": 1}})
    vocab.add_tokens_to_namespace(["red", "blue"], "tokens")
    return vocab


@pytest.mark.parametrize("fusion", [{"type": "concatenate"}, {"type": "gated", "hidden_dim": 6}, {"type": "bilinear", "hidden_dim": 6}])
def test_fusions_frozen_text_and_empty_texts(vocab, fusion, tmp_path):
    model = small_model(vocab, fusion=fusion, freeze_text=True, class_weights={"a": 2.0})
    model.train()
    assert not model._seq2vec_encoders.training
    reader = ImageTextManifestReader()
    image = torch.zeros(3, 8, 8, dtype=torch.uint8).numpy().transpose(1, 2, 0)
    for texts in (["red blue", ""], ["", ""]):  # an empty text; a batch of empty texts
        instances = [reader.text_to_instance(image, text, "a") for text in texts]
        for instance in instances:
            reader.apply_token_indexers(instance)
        batch = Batch(instances)
        batch.index_instances(vocab)
        output = model(**batch.as_tensor_dict())
        output["loss"].backward()
        assert torch.isfinite(output["loss"])
    assert all(parameter.grad is None for parameter in model._text_field_embedders.parameters())
    assert model._fusion.get_output_dim() == {"concatenate": 8, "gated": 6, "bilinear": 6}[fusion["type"]]


def test_config_slips_fail_at_construction_naming_the_key(vocab):
    with pytest.raises(ConfigurationError, match="feedforward.input_dim is 4 .* set it to 8"):
        small_model(vocab, feedforward={"input_dim": 4, "num_layers": 1, "hidden_dims": 4, "activations": "relu"})
    with pytest.raises(ConfigurationError, match="seq2vec_encoders.text expects 5"):
        small_model(vocab, seq2vec_encoders={"text": {"type": "boe", "embedding_dim": 5}})
    with pytest.raises(ConfigurationError, match="give both for every text field"):
        small_model(vocab, seq2vec_encoders={"title": {"type": "boe", "embedding_dim": 4}})
    with pytest.raises(ConfigurationError, match="both false"):
        small_model(vocab, use_image=False, use_text=False)
    assert isinstance(small_model(vocab), ImageTextClassifier)
