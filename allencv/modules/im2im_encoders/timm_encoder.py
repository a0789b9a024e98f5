import difflib
import os
from typing import Any, Dict, List, Optional, Tuple

import torch
from allennlp.common.checks import ConfigurationError
from torch.hub import get_dir

from allencv.modules.im2im_encoders.im2im_encoder import FeatureInfo, Im2ImEncoder
from allencv.modules.pretrained import PretrainedWeightsUnavailable, pretrained_weights_are_skipped
from allencv.optional_dependencies import import_optional

POOLING = {"avg": torch.nn.AdaptiveAvgPool2d, "max": torch.nn.AdaptiveMaxPool2d}
#: `pool`'s value for the model's own pooling of its last features (its classification head without the classifier).
MODEL_POOLING = "model"


@Im2ImEncoder.register("timm")
class TimmEncoder(Im2ImEncoder):
    """
    Any [timm](https://huggingface.co/docs/timm) model by name (ConvNeXt, EfficientNet(V2),
    RegNet, MobileNetV4, ResNet, ViT, DeiT, Swin, ...), without its classifier
    (`timm.create_model(model_name, num_classes=0)`).

    Its stages are timm's own `feature_info` (each stage's module name, channels and reduction),
    read when the model is built, with no forward pass; `forward_features` returns their maps
    through timm's `forward_intermediates`, always `(batch_size, channels, height / stride,
    width / stride)`. For a CNN that is e.g. ResNet's `act1`, `layer1` ... `layer4` (strides 2
    to 32) or ConvNeXt's `stages.0` ... `stages.3` (4 to 32). A Swin's stages are its four
    `layers.*` maps (4 to 32), turned channels-first. A ViT or DeiT has one entry per block
    (`blocks.0` ... `blocks.11`, all at the patch size's stride): the patch tokens laid out as
    a map, without the class (and distillation or register) tokens. Parameters keep timm's
    names under `model.` (e.g. `model.stages.3.blocks.0.conv_dw.weight`).

    The output is the last (or `output_stage`'s) map, or pooled to `1x1` by `pool`:
    `"avg"`/`"max"` pool that map; `"model"` is the model's own head without its classifier
    (timm's `forward_head(pre_logits=True)`), which is what the pretrained weights were trained
    to classify: a ViT's or DeiT's class token after its final norm, a Swin's or ConvNeXt's
    averaged and normalised map, an EfficientNet's or MobileNet's pooled `conv_head` features
    (1280 channels, more than its last stage's). Use `"model"` for classification with a
    transformer.

    Transformers are built for one input size: give `model_args: {img_size: 64}` for another
    fixed size (a ViT's position embeddings are resampled from pretrained weights; a Swin's
    `window_size` must divide its stages' sizes, e.g. `{img_size: 64, window_size: 2}`), or
    `{dynamic_img_size: true}` for a ViT that takes any size.

    Pretrained weights (`pretrained: true`) come through timm, from the Hugging Face Hub and its
    cache (`$HF_HOME/hub`), or from a local file (`weights_path`). The readers' preprocessing
    for them is the model's `pretrained_cfg`: `{type: "normalize", weights: "timm/convnext_atto.d2_in1k"}`
    (likewise `resize` and `center_crop`), as torchvision weights names do.

    Registered as an `Im2ImEncoder` with name "timm".

    # Parameters

    model_name : `str`
        A timm model, optionally with its pretrained tag: `"convnext_atto"`,
        `"convnext_atto.d2_in1k"`, `"vit_tiny_patch16_224.augreg_in21k_ft_in1k"`.
    pretrained : `bool`, optional (default = `False`)
        Load timm's pretrained weights of `model_name` (its default tag, or the one given).
    weights_path : `str`, optional
        A local checkpoint to load instead (`model.safetensors` or `pytorch_model.bin` from the
        model's Hub page, or a `.pth` of timm's or of the model's original repository), through
        timm's own loading (its checkpoint filters), strictly: it must be the whole pretrained
        model, with its classifier (which is then dropped).
    pretrained_cfg_overlay : `Dict[str, Any]`, optional
        Overrides of the model's `pretrained_cfg` for timm (e.g. `{"file": ...}`, `{"hf_hub_id": ...}`).
    output_stage : `str`, optional
        The stage whose map is the output (a `get_feature_info()` name); the layers after it
        are dropped. Defaults to the last stage.
    pool : `str`, optional
        `"avg"`, `"max"`, or `"model"` (see above) pooling to `1x1`; null (the default) keeps the map.
    frozen_stages : `int`, optional (default = `0`)
        Freezes the stem and the first `frozen_stages` entries of `get_feature_info()` (with the
        model's embeddings, e.g. a ViT's class token and position embedding): no gradients, and
        kept in eval mode (batch norm keeps its statistics, dropout and drop-path are off).
    frozen_batch_norm : `bool`, optional (default = `False`)
        Every batch norm becomes timm's `FrozenBatchNorm2d` (`timm.layers.freeze_batch_norm_2d`),
        as detection with pretrained weights needs.
    model_args : `Dict[str, Any]`, optional
        More keyword arguments of `timm.create_model`, e.g. `{"img_size": 64}`, `{"drop_path_rate": 0.1}`.
    """

    def __init__(
        self,
        model_name: str,
        pretrained: bool = False,
        weights_path: Optional[str] = None,
        pretrained_cfg_overlay: Optional[Dict[str, Any]] = None,
        output_stage: Optional[str] = None,
        pool: Optional[str] = None,
        frozen_stages: int = 0,
        frozen_batch_norm: bool = False,
        model_args: Optional[Dict[str, Any]] = None,
    ) -> None:
        super().__init__()
        timm = import_optional("timm", "The timm encoder")
        if pool is not None and pool not in (*POOLING, MODEL_POOLING):
            raise ConfigurationError(f"pool must be one of avg, max, {MODEL_POOLING} or null, got {pool!r}.")
        if pool == MODEL_POOLING and output_stage is not None:
            raise ConfigurationError(f'pool "{MODEL_POOLING}" pools the last stage; give it no output_stage.')
        self.model = create_model(timm, model_name, pretrained, weights_path, pretrained_cfg_overlay, model_args)
        stages = stage_info(self.model, model_name)
        names = [info.name for info in stages]
        if output_stage is not None and output_stage not in names:
            raise ConfigurationError(
                f"timm's {model_name} has no stage {output_stage!r}; its stages are {', '.join(names)}."
            )
        last = names.index(output_stage) if output_stage is not None else len(names) - 1
        if pool != MODEL_POOLING:
            # Only the maps are used: the head (and any layers after `output_stage`) would be
            # parameters without gradients, which distributed training refuses.
            self.model.prune_intermediate_layers(indices=[last], prune_norm=True, prune_head=True)
        self._feature_info = stages[: last + 1]
        self._model_pooling = pool == MODEL_POOLING
        self.pool = POOLING[pool](1) if pool in POOLING else None
        if self._model_pooling:
            self._output_channels = getattr(self.model, "head_hidden_size", None) or self.model.num_features
        else:
            self._output_channels = self._feature_info[-1].channels
        if frozen_batch_norm:
            self.model = timm.layers.freeze_batch_norm_2d(self.model)
        if not 0 <= frozen_stages <= len(self._feature_info):
            raise ConfigurationError(
                f"frozen_stages must be between 0 and {len(self._feature_info)} for {model_name}, got {frozen_stages}."
            )
        self._frozen: List[torch.nn.Module] = []
        if frozen_stages:
            self._frozen = modules_up_to(self.model, self._feature_info[frozen_stages - 1].name)
            for module in self._frozen:
                module.requires_grad_(False)
            for parameter in self.model.parameters(recurse=False):  # embeddings: class token, positions
                parameter.requires_grad_(False)

    def train(self, mode: bool = True) -> "TimmEncoder":
        super().train(mode)
        for module in self._frozen:
            module.eval()
        return self

    def get_output_channels(self) -> int:
        return self._output_channels

    def get_output_stride(self) -> int:
        return self._feature_info[-1].stride

    def get_fixed_output_size(self) -> Optional[Tuple[int, int]]:
        return (1, 1) if self._model_pooling or self.pool is not None else None

    def get_feature_info(self) -> List[FeatureInfo]:
        return list(self._feature_info)

    def forward_features(self, images: torch.Tensor) -> Dict[str, torch.Tensor]:
        maps = self.model.forward_intermediates(
            images, indices=list(range(len(self._feature_info))), intermediates_only=True
        )
        # name -> (batch_size, channels, height / stride, width / stride)
        return {info.name: features for info, features in zip(self._feature_info, maps)}

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        if self._model_pooling:
            # (batch_size, output_channels, 1, 1)
            return self.model(images)[:, :, None, None]
        # (batch_size, output_channels, height / stride, width / stride)
        features = self.model.forward_intermediates(
            images, indices=[len(self._feature_info) - 1], intermediates_only=True
        )[0]
        if self.pool is not None:
            # (batch_size, output_channels, 1, 1)
            features = self.pool(features)
        return features


def create_model(
    timm: Any,
    model_name: str,
    pretrained: bool,
    weights_path: Optional[str],
    pretrained_cfg_overlay: Optional[Dict[str, Any]],
    model_args: Optional[Dict[str, Any]],
) -> torch.nn.Module:
    """
    `timm.create_model(model_name, num_classes=0)`, with timm's pretrained weights when
    `pretrained` or `weights_path` (a local file) asks for them, except inside
    `pretrained_weights_skipped()`.
    """
    architecture = model_name.split(".")[0]
    if not timm.is_model(architecture):
        close = difflib.get_close_matches(architecture, timm.list_models(), n=5, cutoff=0.6)
        raise ConfigurationError(
            f"{model_name!r} is not a timm model" + (f"; did you mean {', '.join(close)}?" if close else ".")
            + " `timm.list_models('convnext*')` lists them."
        )
    overlay = dict(pretrained_cfg_overlay or {})
    if weights_path is not None:
        if not os.path.isfile(weights_path):
            raise ConfigurationError(f"weights_path {weights_path} is not a file.")
        overlay["file"] = weights_path
    fetch = (pretrained or weights_path is not None) and not pretrained_weights_are_skipped()
    try:
        config = timm.models.get_pretrained_cfg(model_name)
    except RuntimeError:  # an unknown tag
        tags = ", ".join(timm.list_pretrained(f"{architecture}.*"))
        raise ConfigurationError(f"timm has no pretrained {model_name!r}; choose one of {tags or architecture}.")
    # timm loads a checkpoint strictly only into a model with the pretrained classifier, which is
    # then removed; at any other `num_classes` a wrong file would load in part, silently.
    config = config if fetch else None
    try:
        model = timm.create_model(
            model_name,
            pretrained=fetch,
            num_classes=config.num_classes if config is not None else 0,
            pretrained_cfg_overlay=overlay or None,
            **(model_args or {}),
        )
    except TypeError as error:
        raise ConfigurationError(f"model_args {model_args} do not fit timm's {model_name}: {error}") from error
    except OSError as error:  # the Hub's and urllib's download errors are all OSErrors
        if not fetch or weights_path is not None:
            raise
        raise unavailable(timm, model_name, error) from error
    except RuntimeError as error:  # a checkpoint that does not fit
        if "file" not in overlay:
            raise
        key = "weights_path" if weights_path is not None else "pretrained_cfg_overlay's file"
        raise ConfigurationError(f"{key} {overlay['file']} does not hold timm's {model_name} ({error}).") from error
    if config is not None:
        model.reset_classifier(0)
    return model


def unavailable(timm: Any, model_name: str, error: Exception) -> PretrainedWeightsUnavailable:
    """The error saying where to put `model_name`'s pretrained weights offline."""
    config = timm.models.get_pretrained_cfg(model_name)
    hub_id = getattr(config, "hf_hub_id", None)
    reason = str(error).splitlines()[0] if str(error) else type(error).__name__
    if hub_id:
        problem = (
            f"Could not fetch timm's pretrained {model_name} weights from the Hugging Face Hub "
            f"(model.safetensors of https://huggingface.co/{hub_id}): {reason}."
        )
        local_file = (
            f"copy the Hub's cache of them ($HF_HOME/hub/models--{hub_id.replace('/', '--')}) from "
            "a machine that can download them"
        )
    else:
        url = getattr(config, "url", "")
        problem = f"Could not download timm's pretrained {model_name} weights from {url}: {reason}."
        local_file = f"put that file at {os.path.join(get_dir(), 'checkpoints', os.path.basename(url))}"
    return PretrainedWeightsUnavailable(problem, local_file, {"pretrained": "false"})


def stage_info(model: torch.nn.Module, model_name: str) -> List[FeatureInfo]:
    """The stages of timm's `feature_info`, named by module, as declared (no forward pass)."""
    declared = getattr(model, "feature_info", None)
    if not declared or not hasattr(model, "forward_intermediates"):
        raise ConfigurationError(
            f"timm's {model_name} declares no feature stages (`feature_info` and "
            "`forward_intermediates`), which the timm encoder needs; choose another model."
        )
    return [FeatureInfo(stage["module"], stage["num_chs"], stage["reduction"]) for stage in declared]


def modules_up_to(model: torch.nn.Module, stage: str) -> List[torch.nn.Module]:
    """
    The top-most submodules of `model` that its forward pass runs up to and including `stage`
    (a module name): those registered before it, in timm's order (stem, then stages), and
    `stage` itself, leaving out its containers (such as `stages` for `stages.1`).
    """
    names = [name for name, _ in model.named_modules()][1:]
    end = max(index for index, name in enumerate(names) if name == stage or name.startswith(stage + "."))
    containers = {stage.rsplit(".", depth)[0] for depth in range(1, stage.count(".") + 1)}
    chosen: List[str] = []
    for name in names[: end + 1]:
        if name in containers or any(name.startswith(parent + ".") for parent in chosen):
            continue
        chosen.append(name)
    return [model.get_submodule(name) for name in chosen]
