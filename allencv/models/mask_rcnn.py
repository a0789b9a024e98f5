from typing import Any, Dict, List, Optional

import torch
from allennlp.data import Vocabulary
from allennlp.models.model import Model
from allennlp.nn import InitializerApplicator, RegularizerApplicator
from allennlp.nn.parallel import DdpAccelerator
from torchvision.models.detection import MaskRCNN
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.mask_rcnn import MaskRCNNHeads, MaskRCNNPredictor
from torchvision.ops import MultiScaleRoIAlign
from torchvision.ops.misc import FrozenBatchNorm2d

from allencv.data.fields.bounding_box_field import BACKGROUND_OFFSET, BoxTarget
from allencv.data.transforms.normalize import IMAGENET_MEAN, IMAGENET_STD
from allencv.models.faster_rcnn import FasterRcnn
from allencv.modules.feature_pyramid import FeaturePyramid
from allencv.modules.im2im_encoders import Im2ImEncoder
from allencv.training.metrics.mask_average_precision import MaskAveragePrecision, encode_masks


@Model.register("mask_rcnn")
class MaskRcnn(FasterRcnn):
    """
    torchvision's Mask R-CNN: Faster R-CNN (see `FasterRcnn`, whose parameters it takes) plus a
    mask head that predicts, in each detected box, a mask of its class (pooled at 14x14 from the
    pyramid, through `mask_head_channels` 3x3 convolutions, upsampled to 28x28, then pasted into
    the box at the image's resolution). With `torchvision_model`, torchvision's
    `maskrcnn_resnet50_fpn` or `maskrcnn_resnet50_fpn_v2`; their COCO `weights` (or a local
    `weights_path`) keep everything but the box classifier and the mask predictor's last layer,
    which are resized to the vocabulary. A pretrained backbone's batch norm is frozen
    (`FrozenBatchNorm2d`), as torchvision freezes it for its named weights.

    The masks are those of the `boxes` field (a `coco_detection` or `voc_detection` reader with
    `masks: true`). Training reports torchvision's `loss_mask` with the other losses. Evaluation
    outputs, per detection, a `masks` entry (`(num_detections, height, width)` booleans: the mask
    head's probability at least `mask_threshold`), and reports, besides the box metrics, COCO's
    mask metrics against the gold masks (`mask_map`, `mask_map_50`, `mask_map_75`,
    `mask_mar_100`, `mask_AP_<label>`; see `MaskAveragePrecision`). In human-readable outputs
    (predictions) each mask is COCO's compressed RLE, `{"size": [height, width], "counts": str}`,
    which `pycocotools.mask.decode` turns back into pixels.

    Registered as a `Model` with name "mask_rcnn".

    # Parameters

    vocab : `Vocabulary`
    mask_head_channels : `List[int]`, optional (default = four of `256`, torchvision's)
        The output channels of each 3x3 convolution of the mask head (with `backbone`); the
        last is also the width of the upsampling layer.
    mask_threshold : `float`, optional (default = `0.5`)
        A pixel is in a detection's mask where the mask head's probability is at least this.
    rois_per_image : `int`, optional (default = `512`, torchvision's)
        The proposals per image the box head (and, of those matched to an object, the mask head)
        trains on; fewer make small images with few objects train faster.
    backbone, torchvision_model, weights, ...
        As `FasterRcnn`'s (see `ObjectDetector`).
    """

    torchvision_prefix = "maskrcnn_"
    detector_class = MaskRCNN

    def __init__(
        self,
        vocab: Vocabulary,
        mask_head_channels: List[int] = [256] * 4,
        mask_threshold: float = 0.5,
        rois_per_image: int = 512,
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
        # Read by detector_options and build_detector, which FasterRcnn's constructor calls.
        self._mask_head_channels = list(mask_head_channels)
        self._rois_per_image = rois_per_image
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
        self.mask_threshold = mask_threshold
        names = vocab.get_index_to_token_vocabulary(label_namespace)
        self._mask_average_precision = MaskAveragePrecision(
            {index + BACKGROUND_OFFSET: name for index, name in names.items()}
        )

    def detector_options(self, score_threshold: float, detections_per_image: int) -> Dict[str, Any]:
        return {**super().detector_options(score_threshold, detections_per_image), "box_batch_size_per_image": self._rois_per_image}

    def build_detector(
        self, backbone: FeaturePyramid, anchors: AnchorGenerator, options: Dict[str, Any]
    ) -> torch.nn.Module:
        channels = self._mask_head_channels
        detector = super().build_detector(backbone, anchors, {
            **options,
            "mask_roi_pool": MultiScaleRoIAlign(featmap_names=backbone.stages, output_size=14, sampling_ratio=2),
            "mask_head": MaskRCNNHeads(backbone.out_channels, channels, dilation=1),
        })
        # torchvision takes either num_classes or a mask predictor; its own is for a 256-channel head.
        detector.roi_heads.mask_predictor = MaskRCNNPredictor(channels[-1], channels[-1], self.num_classes)
        return detector

    def _load_torchvision(
        self, name: str, weights: Optional[str], weights_path: Optional[str], options: Dict[str, Any]
    ) -> torch.nn.Module:
        detector = super()._load_torchvision(name, weights, weights_path, options)
        if weights is not None or weights_path is not None:
            # Decided by the config, not by whether weights were loaded: an archive is loaded
            # without them, and its state dict has the frozen layers' buffers.
            freeze_batch_norm(detector.backbone.body)
        return detector

    def replace_classifier(self, detector: torch.nn.Module) -> None:
        super().replace_classifier(detector)
        upsample = detector.roi_heads.mask_predictor.conv5_mask
        detector.roi_heads.mask_predictor = MaskRCNNPredictor(upsample.in_channels, upsample.out_channels, self.num_classes)

    def _binary_masks(self, detections: List[Dict[str, torch.Tensor]]) -> List[torch.Tensor]:
        # torchvision's masks are (num_detections, 1, height, width) probabilities.
        return [detection["masks"][:, 0] >= self.mask_threshold for detection in detections]

    def update_evaluation(self, detections: List[Dict[str, torch.Tensor]], targets: List[BoxTarget]) -> None:
        super().update_evaluation(detections, targets)
        if all("masks" in target for target in targets):
            masks = self._binary_masks(detections)
            self._mask_average_precision(
                [{**detection, "masks": mask} for detection, mask in zip(detections, masks)], targets
            )

    def detection_output(self, detections: List[Dict[str, torch.Tensor]]) -> Dict[str, Any]:
        output = super().detection_output(detections)
        output["masks"] = self._binary_masks(detections)
        return output

    def make_output_human_readable(self, output_dict: Dict[str, Any]) -> Dict[str, Any]:
        """Also turns each image's `masks` into a list of COCO RLEs, one per detection."""
        output_dict = super().make_output_human_readable(output_dict)
        output_dict["masks"] = [encode_masks(masks) for masks in output_dict["masks"]]
        return output_dict

    def reset_evaluation(self) -> None:
        super().reset_evaluation()
        self._mask_average_precision.reset()

    def evaluation_metrics(self) -> Dict[str, float]:
        return {**super().evaluation_metrics(), **self._mask_average_precision.get_metric()}


def freeze_batch_norm(module: torch.nn.Module) -> None:
    """Replaces every `BatchNorm2d` under `module` by a `FrozenBatchNorm2d` with its statistics and affine values."""
    for name, child in module.named_children():
        if isinstance(child, torch.nn.BatchNorm2d):
            frozen = FrozenBatchNorm2d(child.num_features, eps=child.eps)
            for buffer in ("weight", "bias", "running_mean", "running_var"):
                getattr(frozen, buffer).copy_(getattr(child, buffer).detach())
            setattr(module, name, frozen)
        else:
            freeze_batch_norm(child)
