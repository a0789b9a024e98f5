from typing import Any, Dict, List

import torch
from allennlp.models.model import Model
from torchvision.models.detection import RetinaNet
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.ops.feature_pyramid_network import ExtraFPNBlock, LastLevelP6P7

from allencv.models.object_detector import ObjectDetector, replace_dense_classifier
from allencv.modules.feature_pyramid import FeaturePyramid


@Model.register("retinanet")
class Retinanet(ObjectDetector):
    """
    torchvision's RetinaNet: a one-stage detector with the focal loss, over a feature pyramid of
    the `backbone` stages after the first plus two strided levels (P6, P7), with three anchor
    scales per octave (sizes of 4x each level's stride: 32 to 512 pixels on a ResNet). With
    `torchvision_model`, any of torchvision's `retinanet_*` models. See `ObjectDetector` for the
    parameters; the default `score_threshold` is 0.05.

    Registered as a `Model` with name "retinanet".
    """

    torchvision_prefix = "retinanet_"
    anchor_stride_multiple = 4
    scales_per_octave = 3

    def default_feature_stages(self, stages: List[str]) -> List[str]:
        return stages[1:]

    def extra_fpn_block(self, fpn_channels: int) -> ExtraFPNBlock:
        return LastLevelP6P7(fpn_channels, fpn_channels)

    def detector_options(self, score_threshold: float, detections_per_image: int) -> Dict[str, Any]:
        return {"score_thresh": score_threshold, "detections_per_img": detections_per_image}

    def build_detector(
        self, backbone: FeaturePyramid, anchors: AnchorGenerator, options: Dict[str, Any]
    ) -> torch.nn.Module:
        return RetinaNet(backbone, self.num_classes, anchor_generator=anchors, **options)

    def replace_classifier(self, detector: torch.nn.Module) -> None:
        replace_dense_classifier(detector.head.classification_head, self.num_classes)
