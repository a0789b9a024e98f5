from typing import Any, Dict

import torch
from allennlp.models.model import Model
from torchvision.models.detection import FCOS
from torchvision.models.detection.anchor_utils import AnchorGenerator

from allencv.models.object_detector import DenseDetector
from allencv.modules.feature_pyramid import FeaturePyramid


@Model.register("fcos")
class Fcos(DenseDetector):
    """
    torchvision's FCOS: an anchor-free one-stage detector (each pyramid position predicts its
    distances to the box sides, and a centerness), over the deepest three `backbone` stages
    plus P6 and P7. Its single square "anchor" per position (the level's stride) only marks the
    position. With `torchvision_model`, torchvision's `fcos_resnet50_fpn`. See `ObjectDetector`
    for the parameters; the default `score_threshold` is 0.2.

    Built on a `backbone`, its heads' convolutions that feed a GroupNorm have no bias (the
    norm's own bias takes that role), which also passes allennlp's normalization-bias check.
    torchvision's `fcos_*` models keep their biases, so their configs need
    `trainer.run_confidence_checks: false`.

    Registered as a `Model` with name "fcos".
    """

    torchvision_prefix = "fcos_"
    anchor_stride_multiple = 1
    default_aspect_ratios = (1.0,)
    default_score_threshold = 0.2

    def build_detector(
        self, backbone: FeaturePyramid, anchors: AnchorGenerator, options: Dict[str, Any]
    ) -> torch.nn.Module:
        detector = FCOS(backbone, self.num_classes, anchor_generator=anchors, **options)
        for head in (detector.head.classification_head, detector.head.regression_head):
            drop_biases_before_norms(head.conv)
        return detector


def drop_biases_before_norms(layers: torch.nn.Sequential) -> None:
    """Removes the bias of each convolution directly followed by a GroupNorm in `layers`."""
    for layer, following in zip(layers, list(layers)[1:]):
        if isinstance(layer, torch.nn.Conv2d) and isinstance(following, torch.nn.GroupNorm):
            layer.register_parameter("bias", None)
