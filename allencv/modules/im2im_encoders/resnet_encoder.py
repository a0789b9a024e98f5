from typing import Optional

from allennlp.common.checks import ConfigurationError

from allencv.modules.im2im_encoders.im2im_encoder import Im2ImEncoder
from allencv.modules.im2im_encoders.torchvision_encoder import TorchvisionEncoder

RESNET_MODELS = ("resnet18", "resnet34", "resnet50", "resnet101", "resnet152")
#: A ResNet's entries in `get_feature_info`: the stem (`relu`), then `layer1` to `layer4`.
RESNET_STAGE_COUNT = 5


@Im2ImEncoder.register("pretrained_resnet")
class ResnetEncoder(TorchvisionEncoder):
    """
    The seed's ResNet encoder: the `torchvision` encoder of a ResNet, with the seed's keys and
    defaults (ImageNet weights, pooled to `1x1`, which is what a `flatten` encoder with
    `input_height = input_width = 1` expects). Its output is 512 channels for resnet18/34 and
    2048 for resnet50/101/152, at 1/32 of the input size. Everything else (stages, parameter
    names under `model.`, `frozen_stages`, `frozen_batch_norm`, `channels_last`,
    `autocast_dtype`) is the `torchvision` encoder's.

    Registered as an `Im2ImEncoder` with name "pretrained_resnet".

    # Parameters

    resnet_model : `str`, optional (default = `"resnet50"`)
        One of resnet18, resnet34, resnet50, resnet101, resnet152 (the `torchvision` encoder's
        `model_name`).
    requires_grad : `bool`, optional (default = `True`)
        `False` freezes the whole ResNet (`frozen_stages` of all five stages).
    weights : `str`, optional (default = `"DEFAULT"`)
        torchvision weights name (`"DEFAULT"` is ImageNet's best, e.g. `"IMAGENET1K_V2"` for
        resnet50), loaded through torchvision and its `TORCH_HOME` cache. `null` means random
        initialisation.
    weights_path : `str`, optional
        A local checkpoint to load instead of `weights`.
    pool : `str`, optional (default = `"avg"`)
        `"avg"` or `"max"` global pooling to `1x1`, or null for the feature map.
    frozen_stages : `int`, optional (default = `0`)
        As the `torchvision` encoder's: 1 freezes the stem, 2 also `layer1`, ... 5 everything;
        torchvision's detection `trainable_backbone_layers=k` is `frozen_stages: 5 - k`.
    frozen_batch_norm : `bool`, optional (default = `False`)
        torchvision's `FrozenBatchNorm2d` for every batch norm, as detection with pretrained
        weights needs.
    channels_last : `bool`, optional (default = `False`)
    autocast_dtype : `str`, optional
        `"bfloat16"` or `"float16"`, as the `torchvision` encoder's.
    """

    def __init__(
        self,
        resnet_model: str = "resnet50",
        requires_grad: bool = True,
        weights: Optional[str] = "DEFAULT",
        weights_path: Optional[str] = None,
        pool: Optional[str] = "avg",
        frozen_stages: int = 0,
        frozen_batch_norm: bool = False,
        channels_last: bool = False,
        autocast_dtype: Optional[str] = None,
    ) -> None:
        if resnet_model not in RESNET_MODELS:
            raise ConfigurationError(
                f"resnet_model must be one of {', '.join(RESNET_MODELS)}, got {resnet_model!r}."
            )
        if not requires_grad and frozen_stages:
            raise ConfigurationError("Give pretrained_resnet either `requires_grad: false` or `frozen_stages`, not both.")
        super().__init__(
            resnet_model,
            weights=weights,
            weights_path=weights_path,
            pool=pool,
            frozen_stages=frozen_stages if requires_grad else RESNET_STAGE_COUNT,
            frozen_batch_norm=frozen_batch_norm,
            channels_last=channels_last,
            autocast_dtype=autocast_dtype,
        )
