from typing import Any

from allennlp.common.checks import ConfigurationError

from allencv.modules.pretrained import get_weights


def weights_preset(weights: str) -> Any:
    """
    The preprocessing torchvision's pretrained `weights` expect (`crop_size`, `resize_size`,
    `mean`, `std`, `interpolation`), named as torchvision names them, e.g.
    `"ResNet50_Weights.IMAGENET1K_V2"` or `"EfficientNet_B0_Weights.DEFAULT"` (or
    `"EfficientNet_Lite0_Weights.DEFAULT"`, AllenCV's EfficientNet-Lite0 weights).
    """
    try:
        return get_weights(weights).transforms()
    except (KeyError, ValueError, AttributeError) as error:
        raise ConfigurationError(
            f"Unknown torchvision weights {weights!r} ({error}); write them as torchvision does, "
            'e.g. "ResNet50_Weights.IMAGENET1K_V2" or "ResNet50_Weights.DEFAULT".'
        ) from error
