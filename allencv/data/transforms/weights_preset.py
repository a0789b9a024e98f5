import math
from typing import Any, List, NamedTuple, Sequence

from allennlp.common.checks import ConfigurationError
from torchvision.transforms import InterpolationMode

from allencv.modules.pretrained import get_weights
from allencv.optional_dependencies import import_optional

#: How a `weights` name of timm's pretrained weights starts (as on the Hugging Face Hub).
TIMM_PREFIX = "timm/"


class Preprocessing(NamedTuple):
    """What torchvision's weights transforms (`ImageClassification`) tell the transforms."""

    resize_size: List[int]
    crop_size: List[int]
    mean: Sequence[float]
    std: Sequence[float]
    interpolation: InterpolationMode


def weights_preset(weights: str) -> Any:
    """
    The preprocessing that pretrained `weights` expect (`crop_size`, `resize_size`, `mean`,
    `std`, `interpolation`):

    - torchvision's, named as torchvision names them, e.g. `"ResNet50_Weights.IMAGENET1K_V2"`
      or `"EfficientNet_B0_Weights.DEFAULT"` (or `"EfficientNet_Lite0_Weights.DEFAULT"`,
      AllenCV's EfficientNet-Lite0 weights);
    - timm's, as `"timm/"` and the timm model name, with or without its pretrained tag (e.g.
      `"timm/convnext_atto.d2_in1k"`, `"timm/resnet18"`), from its `pretrained_cfg` (see
      `timm_preset`).
    """
    if weights.startswith(TIMM_PREFIX):
        return timm_preset(weights[len(TIMM_PREFIX):])
    try:
        return get_weights(weights).transforms()
    except (KeyError, ValueError, AttributeError) as error:
        raise ConfigurationError(
            f"Unknown torchvision weights {weights!r} ({error}); write them as torchvision does, "
            'e.g. "ResNet50_Weights.IMAGENET1K_V2" or "ResNet50_Weights.DEFAULT", or timm\'s as '
            '"timm/convnext_atto.d2_in1k".'
        ) from error


def timm_preset(model_name: str) -> Preprocessing:
    """
    The evaluation preprocessing of timm's pretrained `model_name`, from its `pretrained_cfg`,
    as timm's own `create_transform` does it: the `input_size` crop of a resize by `crop_pct`
    (the shorter side to `input_size / crop_pct` for `crop_mode` "center", both sides for
    "squash"), with its `mean`, `std` and `interpolation`. Nothing is built or downloaded.
    """
    timm = import_optional("timm", "timm weights' preprocessing")
    try:
        config = timm.models.get_pretrained_cfg(model_name)
    except RuntimeError:  # an unknown tag
        config = None
    if config is None:
        raise ConfigurationError(
            f"timm has no pretrained weights called {model_name!r}; give a timm model name, with or "
            "without its tag, as timm.list_pretrained() lists them (e.g. timm/convnext_atto.d2_in1k)."
        )
    data = timm.data.resolve_data_config(pretrained_cfg=config.to_dict())
    height, width = data["input_size"][1:]
    crop_mode = data.get("crop_mode", "center")
    if crop_mode not in ("center", "squash"):
        raise ConfigurationError(
            f"timm's {model_name} is evaluated with crop_mode {crop_mode!r}, which the resize and "
            "center_crop transforms do not do; give them `size` instead."
        )
    scaled = [math.floor(height / data["crop_pct"]), math.floor(width / data["crop_pct"])]
    resize_size = scaled[:1] if crop_mode == "center" and height == width else scaled
    return Preprocessing(
        resize_size=resize_size,
        crop_size=[height, width],
        mean=tuple(data["mean"]),
        std=tuple(data["std"]),
        interpolation=InterpolationMode(data["interpolation"]),
    )
