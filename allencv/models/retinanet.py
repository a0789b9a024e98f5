from typing import Any, Dict

import torch
from allennlp.models.model import Model
from torchvision.models.detection import RetinaNet
from torchvision.models.detection.anchor_utils import AnchorGenerator

from allencv.models.object_detector import DenseDetector
from allencv.modules.feature_pyramid import FeaturePyramid


@Model.register("retinanet")
class Retinanet(DenseDetector):
    """
    torchvision's RetinaNet: a one-stage detector with the focal loss, over a feature pyramid of
    the deepest three `backbone` stages plus two strided levels (P6, P7), with three anchor
    scales per octave (sizes of 4x each level's stride: 32 to 512 pixels on a ResNet). With
    `torchvision_model`, any of torchvision's `retinanet_*` models. See `ObjectDetector` for the
    parameters; the default `score_threshold` is 0.05.

    Registered as a `Model` with name "retinanet".
    """

    torchvision_prefix = "retinanet_"
    anchor_stride_multiple = 4
    scales_per_octave = 3

    def build_detector(
        self, backbone: FeaturePyramid, anchors: AnchorGenerator, options: Dict[str, Any]
    ) -> torch.nn.Module:
        return RetinaNet(backbone, self.num_classes, anchor_generator=anchors, **options)
