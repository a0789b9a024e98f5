"""The `timm` encoder, on randomly initialised timm models and checkpoint files the tests write."""
import pytest
import torch
from allennlp.common import Params
from allennlp.common.checks import ConfigurationError
from allennlp.data import Vocabulary
from allennlp.models import Model

from allencv.data.transforms import ImageTransform
from allencv.data.transforms.weights_preset import weights_preset
from allencv.modules.im2im_encoders import Im2ImEncoder, TimmEncoder
from allencv.modules.pretrained import PretrainedWeightsUnavailable, pretrained_weights_skipped

timm = pytest.importorskip("timm")

#: timm families, with what makes them take 64-pixel images; the larger transformers build slowly.
FAMILIES = [
    ("resnet18", {}),
    ("convnext_atto", {}),
    ("tf_efficientnetv2_b0", {}),
    ("efficientnet_lite0", {}),
    ("regnetx_002", {}),
    ("mobilenetv4_conv_small", {}),
    ("vit_tiny_patch16_224", {"img_size": 64}),
    pytest.param("deit_tiny_distilled_patch16_224", {"img_size": 64}, marks=pytest.mark.slow),
    pytest.param("swin_tiny_patch4_window7_224", {"img_size": 64, "window_size": 2}, marks=pytest.mark.slow),
]


def build(**config) -> TimmEncoder:
    return Im2ImEncoder.from_params(Params({"type": "timm", **config}))


@pytest.mark.parametrize("model_name, model_args", FAMILIES)
def test_static_feature_info_matches_the_forward_pass(model_name, model_args):
    encoder = build(model_name=model_name, model_args=model_args, pool="model").eval()
    size = 64
    images = torch.rand(1, 3, size, size)
    with torch.no_grad():
        features = encoder.forward_features(images)
        output = encoder(images)
    info = encoder.get_feature_info()
    assert [entry.name for entry in info] == list(features)
    assert [entry.stride for entry in info] == sorted(entry.stride for entry in info)
    for entry in info:
        assert features[entry.name].shape[1:] == (entry.channels, size // entry.stride, size // entry.stride), entry
    assert output.shape[1:] == (encoder.get_output_channels(), 1, 1)


def test_output_stage_drops_the_later_layers_and_pooling():
    encoder = build(model_name="resnet18", output_stage="layer2", pool="max")
    assert [entry.name for entry in encoder.get_feature_info()] == ["act1", "layer1", "layer2"]
    assert encoder.get_output_channels() == 128 and encoder.get_output_stride() == 8
    assert encoder.get_fixed_output_size() == (1, 1)
    assert encoder(torch.rand(2, 3, 32, 32)).shape == (2, 128, 1, 1)
    names = {name.split(".")[1] for name, _ in encoder.named_parameters()}
    assert "layer2" in names and not names & {"layer3", "layer4", "fc"}


def test_vit_tokens_pooled_by_the_model_are_its_class_token():
    encoder = build(model_name="vit_tiny_patch16_224", model_args={"img_size": 32}, pool="model").eval()
    images = torch.rand(2, 3, 32, 32)
    with torch.no_grad():
        tokens = encoder.model.forward_features(images)  # (batch, 1 + patches, channels)
        expected = tokens[:, 0]
        assert torch.allclose(encoder(images)[:, :, 0, 0], expected, atol=1e-6)
    assert encoder.get_output_channels() == 192


def test_frozen_stages_freeze_the_stem_and_stages_and_keep_them_in_eval_mode():
    encoder = build(model_name="resnet18", frozen_stages=2)  # act1 (the stem) and layer1
    trainable = {name.split(".")[1] for name, parameter in encoder.named_parameters() if parameter.requires_grad}
    assert trainable == {"layer2", "layer3", "layer4"}
    encoder.train()
    assert not encoder.model.bn1.training and not encoder.model.layer1[0].bn1.training
    assert encoder.model.layer2[0].bn1.training

    vit = build(model_name="vit_tiny_patch16_224", model_args={"img_size": 32}, frozen_stages=1)
    frozen = {name for name, parameter in vit.named_parameters() if not parameter.requires_grad}
    assert {"model.cls_token", "model.pos_embed", "model.patch_embed.proj.weight", "model.blocks.0.attn.qkv.weight"} <= frozen
    assert not any(name.startswith("model.blocks.1.") for name in frozen)
    with pytest.raises(ConfigurationError, match="frozen_stages must be between 0 and 5"):
        build(model_name="resnet18", frozen_stages=6)


def test_frozen_batch_norm_uses_timms_frozen_layers_and_keeps_the_statistics():
    torch.manual_seed(0)
    plain = build(model_name="mobilenetv4_conv_small").eval()
    for module in plain.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.1, 0.1)
    frozen = build(model_name="mobilenetv4_conv_small", frozen_batch_norm=True)
    frozen.load_state_dict(plain.state_dict(), strict=False)  # FrozenBatchNorm2d has no num_batches_tracked
    frozen.train()
    assert not any(isinstance(module, torch.nn.BatchNorm2d) for module in frozen.modules())
    images = torch.rand(2, 3, 64, 64)
    with torch.no_grad():
        assert torch.allclose(frozen(images), plain(images), atol=1e-5)


@pytest.mark.parametrize("suffix", [".safetensors", ".pth"])
def test_weights_path_loads_a_timm_checkpoint_with_its_classifier(tmp_path, suffix):
    torch.manual_seed(3)
    state_dict = timm.create_model("resnet18", num_classes=1000).state_dict()
    path = tmp_path / f"model{suffix}"
    if suffix == ".safetensors":
        from safetensors.torch import save_file

        save_file(state_dict, str(path))
    else:
        torch.save(state_dict, path)
    encoder = build(model_name="resnet18", weights_path=str(path))
    assert torch.equal(encoder.model.conv1.weight, state_dict["conv1.weight"])
    overlay = build(model_name="resnet18", pretrained=True, pretrained_cfg_overlay={"file": str(path)})
    assert torch.equal(overlay.model.layer4[1].conv2.weight, state_dict["layer4.1.conv2.weight"])
    # Loading a trained archive skips them: it needs no file, and its own weights replace them.
    with pretrained_weights_skipped():
        assert not torch.equal(build(model_name="resnet18", weights_path=str(path)).model.conv1.weight, state_dict["conv1.weight"])


def test_a_wrong_checkpoint_or_path_names_it(tmp_path):
    torch.save(timm.create_model("resnet34").state_dict(), tmp_path / "resnet34.pth")
    with pytest.raises(ConfigurationError, match=r"resnet34.pth does not hold timm's resnet18"):
        build(model_name="resnet18", weights_path=str(tmp_path / "resnet34.pth"))
    with pytest.raises(ConfigurationError, match="missing.pth is not a file"):
        build(model_name="resnet18", weights_path=str(tmp_path / "missing.pth"))


@pytest.fixture
def offline_hub(tmp_path, monkeypatch):
    """An empty Hugging Face Hub cache, offline (so that no test waits for the network)."""
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))


def test_offline_and_uncached_the_error_says_where_to_put_the_file(offline_hub):
    with pytest.raises(PretrainedWeightsUnavailable) as info:
        Im2ImEncoder.from_params(
            Params({"type": "timm", "model_name": "resnet18", "pretrained": True}, history="model.im2im_encoder.")
        )
    message = str(info.value)
    assert "https://huggingface.co/timm/resnet18.a1_in1k" in message
    assert "models--timm--resnet18.a1_in1k" in message
    assert "`model.im2im_encoder.weights_path`" in message and "`model.im2im_encoder.pretrained` to false" in message


def test_bad_names_and_arguments_are_configuration_errors():
    with pytest.raises(ConfigurationError, match="'convnext_atom' is not a timm model; did you mean convnext_atto"):
        build(model_name="convnext_atom")
    with pytest.raises(ConfigurationError, match="no pretrained 'resnet18.nope'; choose one of resnet18.a1_in1k"):
        build(model_name="resnet18.nope")
    with pytest.raises(ConfigurationError, match="no stage 'layer9'; its stages are act1, layer1"):
        build(model_name="resnet18", output_stage="layer9")
    with pytest.raises(ConfigurationError, match="model_args {'img_sise': 64} do not fit"):
        build(model_name="resnet18", model_args={"img_sise": 64})
    with pytest.raises(ConfigurationError, match="give it no output_stage"):
        build(model_name="resnet18", output_stage="layer2", pool="model")


@pytest.mark.parametrize("model_name", ["convnext_atto.d2_in1k", "vit_tiny_patch16_224", "tf_efficientnetv2_b0"])
def test_reader_preprocessing_follows_the_pretrained_cfg_as_timm_does(model_name):
    from timm.data import create_transform, resolve_data_config

    expected = create_transform(**resolve_data_config(pretrained_cfg=timm.models.get_pretrained_cfg(model_name).to_dict()))
    resize, crop, _, normalize = expected.transforms
    preset = weights_preset(f"timm/{model_name}")
    assert preset.resize_size == [resize.size] and tuple(preset.crop_size) == crop.size
    assert preset.interpolation.value == resize.interpolation.value
    built = [
        ImageTransform.from_params(Params({"type": kind, "weights": f"timm/{model_name}"}))
        for kind in ("resize", "center_crop", "normalize")
    ]
    assert built[2].mean == pytest.approx(normalize.mean.tolist()) and built[2].std == pytest.approx(normalize.std.tolist())
    image = torch.randint(0, 256, (3, 300, 400), dtype=torch.uint8)
    assert built[1](built[0](image)).shape[1:] == crop.size
    with pytest.raises(ConfigurationError, match="timm has no pretrained weights called 'resnet18.nope'"):
        weights_preset("timm/resnet18.nope")


def vocab(count=3):
    return Vocabulary({"labels": {f"class{i}": count - i for i in range(count)}}, non_padded_namespaces=["labels"])


@pytest.mark.parametrize(
    "model_type, encoder, head",
    [
        ("basic_image_classifier", {"model_name": "convnext_atto", "pool": "model"}, {"type": "flatten", "input_channels": 320, "input_height": 1, "input_width": 1}),
        ("basic_image_classifier", {"model_name": "vit_tiny_patch16_224", "pool": "model", "model_args": {"img_size": 32}}, {"type": "flatten", "input_channels": 192, "input_height": 1, "input_width": 1}),
        ("multi_label_image_classifier", {"model_name": "regnetx_002"}, {"type": "global_pool", "input_channels": 368}),
    ],
    ids=["classifier convnext", "classifier vit (class token)", "multi-label regnet"],
)
def test_classifiers_train_on_a_timm_encoder(model_type, encoder, head):
    model = Model.from_params(
        vocab=vocab(), params=Params({"type": model_type, "im2im_encoder": {"type": "timm", **encoder}, "im2vec_encoder": head})
    )
    images = torch.rand(2, 3, 32, 32)
    labels = torch.tensor([0, 2]) if model_type == "basic_image_classifier" else torch.tensor([[1, 0, 1], [0, 1, 0]])
    output = model(images, labels)
    output["loss"].backward()
    assert all(parameter.grad is not None for parameter in model.parameters() if parameter.requires_grad)


@pytest.mark.slow  # tens of seconds on a busy CPU; the segmentation test below runs forward_features fast
@pytest.mark.parametrize("detector", ["faster_rcnn", "retinanet"])
def test_detectors_train_and_predict_on_a_timm_backbone(detector):
    model = Model.from_params(vocab=vocab(), params=Params({
        "type": detector, "backbone": {"type": "timm", "model_name": "mobilenetv4_conv_small", "frozen_batch_norm": True},
        "fpn_channels": 16, "min_size": 64, "max_size": 64,
    }))
    pyramid = model._detector.backbone
    expected_stages = ["blocks.0", "blocks.1", "blocks.2", "blocks.4"][-4 if detector == "faster_rcnn" else -3:]
    assert pyramid.stages == expected_stages
    images = torch.rand(2, 3, 64, 64)
    boxes = [{"boxes": torch.tensor([[4.0, 4.0, 30.0, 30.0]]), "labels": torch.tensor([1])}] * 2
    model.train()
    model(images, boxes)["loss"].backward()
    model.eval()
    with torch.no_grad():
        assert len(model(images)["boxes"]) == 2


def test_semantic_segmentation_on_a_timm_encoder():
    model = Model.from_params(vocab=vocab(), params=Params({
        "type": "semantic_segmentation", "encoder": {"type": "timm", "model_name": "convnext_atto"},
        "decoder": {"type": "fpn", "pyramid_channels": 16, "output_channels": 16},
    }))
    images = torch.rand(2, 3, 64, 64)
    mask = torch.randint(0, 3, (2, 64, 64))
    output = model(images, mask)
    assert output["logits"].shape == (2, 3, 64, 64)
    output["loss"].backward()
