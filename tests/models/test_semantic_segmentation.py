import json

import pytest
import torch
import torchvision
from allennlp.commands.train import train_model_from_file
from allennlp.common import Lazy, Params
from allennlp.common.checks import ConfigurationError
from allennlp.data import Vocabulary
from allennlp.models import Model
from allennlp.models.archival import load_archive

from allencv.models import SemanticSegmentation, TorchvisionSegmentation
from allencv.modules.im2im_encoders import ResnetEncoder
from allencv.modules.segmentation_decoders import FpnDecoder
from tests.conftest import FIXTURES, write_cached_weights
from tests.vision_model_test_case import VisionModelTestCase


class SegmentationModelTest(VisionModelTestCase):
    config = None

    @pytest.fixture(autouse=True)
    def data(self, shapes_folders, monkeypatch):
        monkeypatch.setenv("TRAIN_PATH", str(shapes_folders / "train"))
        monkeypatch.setenv("VALIDATION_PATH", str(shapes_folders / "valid"))
        self.param_file = FIXTURES / self.config
        self.set_up_model(self.param_file, shapes_folders / "train")

    @pytest.mark.slow  # trains, saves and loads through allennlp's train_model_from_file
    def test_can_train_save_and_load(self):
        self.ensure_model_can_train_save_and_load(self.param_file)

    def test_outputs_logits_and_masks_at_the_input_size(self):
        output = self.model.forward_on_instances(self.instances[:2])
        assert output[0]["logits"].shape == (4, 32, 32)
        assert output[0]["mask"].shape == (32, 32)
        assert set(output[0]["mask"].flatten().tolist()) <= {0, 1, 2, 3}
        assert self.model.class_names == ["background", "circle", "square", "triangle"]
        assert {"mean_iou", "pixel_accuracy", "iou_background"} <= set(self.model.get_metrics())


class TestSemanticSegmentation(SegmentationModelTest):
    config = "shapes_segmentation.jsonnet"


class TestTorchvisionLraspp(SegmentationModelTest):
    config = "shapes_lraspp.jsonnet"


def shapes_vocab(count=4):
    return Vocabulary({"labels": {f"class{i}": count - i for i in range(count)}}, non_padded_namespaces=["labels"])


def test_loss_skips_the_ignore_index_and_weights_classes():
    encoder = ResnetEncoder("resnet18", weights=None, pool=None)
    model = SemanticSegmentation(shapes_vocab(2), encoder, class_weights=[0.0, 1.0]).eval()
    image = torch.rand(1, 3, 32, 32)
    logits = model(image)["logits"]
    ignored = torch.full((1, 32, 32), 255)
    ignored[0, 0, 0] = 1
    loss = model(image, ignored)["loss"]
    # Only the one labelled pixel counts: its cross entropy.
    assert loss.item() == pytest.approx(torch.nn.functional.cross_entropy(logits[:, :, 0, 0], torch.tensor([1])).item(), rel=1e-5)
    background = torch.zeros((1, 32, 32), dtype=torch.long)
    background[0, 0, 0] = 1
    # Class 0 has weight 0: again only the class-1 pixel counts.
    assert model(image, background)["loss"].item() == pytest.approx(loss.item(), rel=1e-5)


def test_class_weights_must_match_the_classes():
    with pytest.raises(ConfigurationError, match="class_weights has 2 values but there are 4 classes"):
        SemanticSegmentation(shapes_vocab(), ResnetEncoder("resnet18", weights=None, pool=None), class_weights=[1, 2])


def test_decoder_feature_names_must_be_encoder_stages():
    decoder = Lazy(FpnDecoder, constructor_extras={"feature_names": ["layer9"]})
    with pytest.raises(ConfigurationError, match=r"\['layer9'\] are not stages of the encoder"):
        SemanticSegmentation(shapes_vocab(), ResnetEncoder("resnet18", weights=None, pool=None), decoder)


def test_torchvision_model_names_are_checked():
    with pytest.raises(ConfigurationError, match="not a torchvision segmentation model; choose one of .*fcn_resnet50"):
        TorchvisionSegmentation(shapes_vocab(), "resnet18")


@pytest.mark.parametrize("model_name", ["lraspp_mobilenet_v3_large", "deeplabv3_mobilenet_v3_large"])
def test_pretrained_weights_load_and_the_classifiers_are_replaced(model_name, torch_home):
    aux = {} if model_name.startswith("lraspp") else {"aux_loss": True}
    pretrained = write_cached_weights(torch_home, model_name, num_classes=21, weights_backbone=None, **aux)
    model = TorchvisionSegmentation(shapes_vocab(), model_name, weights="DEFAULT")
    state = model.network.state_dict()
    backbone = [key for key in pretrained if key.startswith("backbone.")]
    assert backbone and all(torch.equal(state[key], pretrained[key]) for key in backbone)
    model.train()
    output = model(torch.rand(2, 3, 32, 32), torch.randint(0, 4, (2, 32, 32)))
    assert output["logits"].shape == (2, 4, 32, 32)
    # The same 21 VOC classes keep the whole pretrained network, heads included.
    voc = TorchvisionSegmentation(shapes_vocab(21), model_name, weights="DEFAULT", aux_loss=False)
    assert all(torch.equal(voc.network.state_dict()[key], pretrained[key]) for key in voc.network.state_dict())
    assert getattr(voc.network, "aux_classifier", None) is None


def test_fcn_by_name_with_an_auxiliary_loss():
    model = TorchvisionSegmentation(shapes_vocab(3), "fcn_resnet50", weights=None, weights_backbone=None).train()
    output = model(torch.rand(1, 3, 32, 32), torch.randint(0, 3, (1, 32, 32)))
    assert output["logits"].shape == (1, 3, 32, 32)
    main_only = torch.nn.functional.cross_entropy(output["logits"], torch.zeros((1, 32, 32), dtype=torch.long))
    assert model.network.aux_classifier is not None and output["loss"].requires_grad
    assert main_only.item() != pytest.approx(output["loss"].item())


def write_checkpoint(path, model_name, seed=0, **model_kwargs):
    """A checkpoint of torchvision's `model_name` as a user would save one; returns its state dict."""
    torch.manual_seed(seed)
    state_dict = torchvision.models.get_model(model_name, weights=None, weights_backbone=None, **model_kwargs).state_dict()
    torch.save({"state_dict": state_dict}, path)
    return state_dict


def from_config(**config):
    return Model.from_params(vocab=shapes_vocab(), params=Params({"type": "torchvision_segmentation", **config}))


@pytest.mark.parametrize("checkpoint_classes, aux_loss", [(21, False), (4, True)])
def test_weights_path_loads_everything_but_classifiers_for_other_classes(checkpoint_classes, aux_loss, tmp_path, torch_home):
    # torch_home is empty: neither `weights` nor `weights_backbone` ("DEFAULT") can be what is loaded.
    name = "deeplabv3_mobilenet_v3_large"
    checkpoint = write_checkpoint(tmp_path / "mine.pth", name, num_classes=checkpoint_classes, aux_loss=True)
    model = from_config(model_name=name, weights_path=str(tmp_path / "mine.pth"), aux_loss=aux_loss)
    state = model.network.state_dict()
    new = {"classifier.4.weight", "classifier.4.bias", "aux_classifier.4.weight", "aux_classifier.4.bias"}
    kept = set(checkpoint) - (new if checkpoint_classes != 4 else set())
    if not aux_loss:
        kept = {key for key in kept if not key.startswith("aux_classifier.")}
    assert set(state) == kept | ({"classifier.4.weight", "classifier.4.bias"} if checkpoint_classes != 4 else set())
    assert all(torch.equal(state[key], checkpoint[key]) for key in kept)
    assert state["classifier.4.weight"].shape[0] == 4
    if checkpoint_classes != 4:
        assert not torch.equal(state["classifier.4.bias"][:4], checkpoint["classifier.4.bias"][:4])


def test_a_bad_weights_path_names_the_key(tmp_path, torch_home):
    with pytest.raises(ConfigurationError, match=f"weights_path {tmp_path / 'missing.pth'} is not a file"):
        from_config(model_name="lraspp_mobilenet_v3_large", weights_path=str(tmp_path / "missing.pth"))
    (tmp_path / "notes.pth").write_text("not a checkpoint")
    with pytest.raises(ConfigurationError, match="weights_path .*notes.pth is not a PyTorch checkpoint"):
        from_config(model_name="lraspp_mobilenet_v3_large", weights_path=str(tmp_path / "notes.pth"))
    write_checkpoint(tmp_path / "fcn.pth", "fcn_resnet50", num_classes=21, aux_loss=True)
    with pytest.raises(ConfigurationError, match=r"model.weights_path .*fcn.pth does not hold weights of lraspp_mobilenet_v3_large \(unknown parameters"):
        from_config(model_name="lraspp_mobilenet_v3_large", weights_path=str(tmp_path / "fcn.pth"))


@pytest.mark.slow  # trains through train_model_from_file
def test_an_archive_loads_offline_without_its_pretrained_weights(shapes_folders, tmp_path, torch_home, monkeypatch):
    monkeypatch.setenv("TRAIN_PATH", str(shapes_folders / "train"))
    monkeypatch.setenv("VALIDATION_PATH", str(shapes_folders / "valid"))
    checkpoint = write_checkpoint(tmp_path / "lraspp.pth", "lraspp_mobilenet_v3_large", num_classes=21)
    overrides = {"model.weights_path": str(tmp_path / "lraspp.pth"), "model.weights_backbone": "DEFAULT",
                 "trainer.optimizer.lr": 0.0}
    trained = train_model_from_file(str(FIXTURES / "shapes_lraspp.jsonnet"), str(tmp_path / "run"), overrides=json.dumps(overrides))
    first_conv = "backbone.0.0.weight"
    assert torch.equal(trained.network.state_dict()[first_conv], checkpoint[first_conv])
    # Neither the checkpoint nor torchvision's cache (for weights_backbone) is there any more.
    (tmp_path / "lraspp.pth").unlink()
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "another_machine"))
    loaded = load_archive(str(tmp_path / "run" / "model.tar.gz")).model
    assert all(torch.equal(value, trained.state_dict()[key]) for key, value in loaded.state_dict().items())
