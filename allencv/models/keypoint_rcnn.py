from typing import Any, Dict, List, Optional

import torch
import torchvision
from allennlp.common.checks import ConfigurationError
from allennlp.data import Vocabulary
from allennlp.models.model import Model
from allennlp.nn import InitializerApplicator, RegularizerApplicator
from allennlp.nn.parallel import DdpAccelerator
from torchvision.models.detection import KeypointRCNN
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.keypoint_rcnn import KeypointRCNNHeads, KeypointRCNNPredictor
from torchvision.ops import MultiScaleRoIAlign

from allencv.data.fields.bounding_box_field import KEYPOINT_NAMESPACE, BoxTarget, vocab_keypoint_names, vocab_skeleton
from allencv.data.transforms.normalize import IMAGENET_MEAN, IMAGENET_STD
from allencv.models.faster_rcnn import FasterRcnn
from allencv.modules.feature_pyramid import FeaturePyramid
from allencv.modules.im2im_encoders import Im2ImEncoder
from allencv.training.metrics.keypoint_average_precision import (
    COCO_PERSON_SIGMAS,
    DEFAULT_SIGMA,
    KeypointAveragePrecision,
)


@Model.register("keypoint_rcnn")
class KeypointRcnn(FasterRcnn):
    """
    torchvision's Keypoint R-CNN: Faster R-CNN (see `FasterRcnn`, whose parameters it takes) plus
    a keypoint head that predicts, in each detected box, a heatmap per keypoint (pooled at 14x14
    from the pyramid, through `keypoint_head_channels` convolutions, upsampled to 56x56) and
    places the keypoint at its maximum. With `torchvision_model`, torchvision's
    `keypointrcnn_resnet50_fpn`; its COCO `weights` predict COCO's 17 person keypoints, which are
    kept (in the vocabulary's order) when the data has those names, and replaced by a new layer
    otherwise.

    The keypoints are those of the `boxes` field (a `coco_detection` reader with `keypoints:
    true`): their names, in the vocabulary namespace `keypoint_labels`, are the model's keypoints,
    in that order, and its skeleton (namespace `keypoint_skeleton_labels`) is what the predictor
    draws. Training reports torchvision's `loss_keypoint` with the other losses. Evaluation outputs,
    per detection, `keypoints` `(num_keypoints, 2)` (x, y pixels) and `keypoint_scores` (the
    heatmap's logit at each), and reports, besides the box metrics, COCO's keypoint metrics
    against the gold keypoints (`keypoint_map`, `keypoint_map_50`, `keypoint_map_75`,
    `keypoint_mar`; see `KeypointAveragePrecision`).

    Registered as a `Model` with name "keypoint_rcnn".

    # Parameters

    vocab : `Vocabulary`
    keypoint_head_channels : `List[int]`, optional (default = eight of `512`, torchvision's)
        The output channels of each 3x3 convolution of the keypoint head (with `backbone`).
    keypoint_oks_sigmas : `Dict[str, float]`, optional
        The OKS sigma of each keypoint name for `keypoint_map`: COCO's values for its person
        keypoints (`COCO_PERSON_SIGMAS`) and 0.05 for other names unless given here.
    backbone, torchvision_model, weights, ...
        As `FasterRcnn`'s (see `ObjectDetector`).
    """

    torchvision_prefix = "keypointrcnn_"
    detector_class = KeypointRCNN

    def __init__(
        self,
        vocab: Vocabulary,
        keypoint_head_channels: List[int] = [512] * 8,
        keypoint_oks_sigmas: Optional[Dict[str, float]] = None,
        backbone: Optional[Im2ImEncoder] = None,
        torchvision_model: Optional[str] = None,
        weights: Optional[str] = None,
        weights_path: Optional[str] = None,
        feature_stages: Optional[List[str]] = None,
        fpn_channels: int = 256,
        anchor_sizes: Optional[List[int]] = None,
        aspect_ratios: Optional[List[float]] = None,
        min_size: int = 800,
        max_size: int = 1333,
        image_mean: List[float] = IMAGENET_MEAN,
        image_std: List[float] = IMAGENET_STD,
        score_threshold: Optional[float] = None,
        detections_per_image: int = 100,
        label_namespace: str = "labels",
        initializer: Optional[InitializerApplicator] = None,
        regularizer: Optional[RegularizerApplicator] = None,
        serialization_dir: Optional[str] = None,
        ddp_accelerator: Optional[DdpAccelerator] = None,
    ) -> None:
        names = vocab_keypoint_names(vocab)
        if not names:
            raise ConfigurationError(
                f"keypoint_rcnn needs keypoints, but the vocabulary has none (namespace "
                f"{KEYPOINT_NAMESPACE!r}): read the data with a `coco_detection` reader with "
                "`keypoints: true`, from a COCO file whose categories list `keypoints`."
            )
        # Read by build_detector and _load_torchvision, which FasterRcnn's constructor calls.
        self.keypoint_names = names
        self._keypoint_head_channels = list(keypoint_head_channels)
        super().__init__(
            vocab,
            backbone=backbone,
            torchvision_model=torchvision_model,
            weights=weights,
            weights_path=weights_path,
            feature_stages=feature_stages,
            fpn_channels=fpn_channels,
            anchor_sizes=anchor_sizes,
            aspect_ratios=aspect_ratios,
            min_size=min_size,
            max_size=max_size,
            image_mean=image_mean,
            image_std=image_std,
            score_threshold=score_threshold,
            detections_per_image=detections_per_image,
            label_namespace=label_namespace,
            initializer=initializer,
            regularizer=regularizer,
            serialization_dir=serialization_dir,
            ddp_accelerator=ddp_accelerator,
        )
        self.skeleton = vocab_skeleton(vocab)
        sigmas = {**COCO_PERSON_SIGMAS, **(keypoint_oks_sigmas or {})}
        self._keypoint_average_precision = KeypointAveragePrecision([sigmas.get(name, DEFAULT_SIGMA) for name in names])

    def build_detector(
        self, backbone: FeaturePyramid, anchors: AnchorGenerator, options: Dict[str, Any]
    ) -> torch.nn.Module:
        channels = self._keypoint_head_channels
        return super().build_detector(backbone, anchors, {
            **options,
            "keypoint_roi_pool": MultiScaleRoIAlign(featmap_names=backbone.stages, output_size=14, sampling_ratio=2),
            "keypoint_head": KeypointRCNNHeads(backbone.out_channels, channels),
            "keypoint_predictor": KeypointRCNNPredictor(channels[-1], len(self.keypoint_names)),
        })

    def _load_torchvision(
        self, name: str, weights: Optional[str], weights_path: Optional[str], options: Dict[str, Any]
    ) -> torch.nn.Module:
        detector = super()._load_torchvision(name, weights, weights_path, options)
        coco_names = torchvision.models.get_model_weights(name).DEFAULT.meta["keypoint_names"]
        layer = detector.roi_heads.keypoint_predictor.kps_score_lowres
        if sorted(coco_names) == sorted(self.keypoint_names):
            # The same keypoints: the vocabulary's order instead of COCO's.
            order = [coco_names.index(keypoint) for keypoint in self.keypoint_names]
            with torch.no_grad():
                layer.weight.copy_(layer.weight[:, order].clone())  # (in_channels, num_keypoints, 4, 4)
                layer.bias.copy_(layer.bias[order].clone())
        else:
            detector.roi_heads.keypoint_predictor = KeypointRCNNPredictor(layer.in_channels, len(self.keypoint_names))
        return detector

    def update_evaluation(self, detections: List[Dict[str, torch.Tensor]], targets: List[BoxTarget]) -> None:
        super().update_evaluation(detections, targets)
        if all("keypoints" in target for target in targets):
            self._keypoint_average_precision(detections, targets)

    def detection_output(self, detections: List[Dict[str, torch.Tensor]]) -> Dict[str, Any]:
        output = super().detection_output(detections)
        # torchvision's keypoints are (num_detections, num_keypoints, 3), with a constant 1 as the third value.
        output["keypoints"] = [detection["keypoints"][..., :2] for detection in detections]
        output["keypoint_scores"] = [detection["keypoints_scores"] for detection in detections]
        return output

    def make_output_human_readable(self, output_dict: Dict[str, Any]) -> Dict[str, Any]:
        """
        Also adds each image's `keypoint_names`, the names of the keypoints' rows, and
        `keypoint_skeleton`, the skeleton as pairs of row indices (`[[first, second], ...]`).
        """
        output_dict = super().make_output_human_readable(output_dict)
        for key in ("keypoints", "keypoint_scores"):
            output_dict[key] = [tensor.tolist() for tensor in output_dict[key]]
        skeleton = [[self.keypoint_names.index(first), self.keypoint_names.index(second)] for first, second in self.skeleton]
        output_dict["keypoint_names"] = [self.keypoint_names for _ in output_dict["keypoints"]]
        output_dict["keypoint_skeleton"] = [skeleton for _ in output_dict["keypoints"]]
        return output_dict

    def reset_evaluation(self) -> None:
        super().reset_evaluation()
        self._keypoint_average_precision.reset()

    def evaluation_metrics(self) -> Dict[str, float]:
        return {**super().evaluation_metrics(), **self._keypoint_average_precision.get_metric()}
