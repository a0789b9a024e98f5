from typing import Any, Dict

import torch
from allennlp.models.model import Model
from torchvision.models.detection import FasterRCNN
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.faster_rcnn import FastRCNNPredictor
from torchvision.ops import MultiScaleRoIAlign
from torchvision.ops.feature_pyramid_network import ExtraFPNBlock, LastLevelMaxPool

from allencv.models.object_detector import ObjectDetector
from allencv.modules.feature_pyramid import FeaturePyramid


@Model.register("faster_rcnn")
class FasterRcnn(ObjectDetector):
    """
    torchvision's Faster R-CNN: a region proposal network, then a box classifier and regressor
    on the proposals, over a feature pyramid of the deepest four `backbone` stages plus a max-pooled level
    (anchors of 8x each level's stride: 32 to 512 pixels on a ResNet). With `torchvision_model`,
    any of torchvision's `fasterrcnn_*` models. See `ObjectDetector` for the parameters; the
    default `score_threshold` is 0.05.

    Registered as a `Model` with name "faster_rcnn".
    """

    torchvision_prefix = "fasterrcnn_"
    #: The torchvision class `build_detector` makes.
    detector_class = FasterRCNN

    def extra_fpn_block(self, fpn_channels: int) -> ExtraFPNBlock:
        return LastLevelMaxPool()

    def detector_options(self, score_threshold: float, detections_per_image: int) -> Dict[str, Any]:
        return {"box_score_thresh": score_threshold, "box_detections_per_img": detections_per_image}

    def build_detector(
        self, backbone: FeaturePyramid, anchors: AnchorGenerator, options: Dict[str, Any]
    ) -> torch.nn.Module:
        # Proposals are pooled from the encoder stages' levels (not the extra max-pooled one).
        pooler = MultiScaleRoIAlign(featmap_names=backbone.stages, output_size=7, sampling_ratio=2)
        return self.detector_class(backbone, self.num_classes, rpn_anchor_generator=anchors, box_roi_pool=pooler, **options)

    def replace_classifier(self, detector: torch.nn.Module) -> None:
        in_features = detector.roi_heads.box_predictor.cls_score.in_features
        detector.roi_heads.box_predictor = FastRCNNPredictor(in_features, self.num_classes)
