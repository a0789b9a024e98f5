import math
from typing import Any, Dict, List, Optional

import torch
import torchvision
from allennlp.common.checks import ConfigurationError
from allennlp.data import Vocabulary
from allennlp.nn import InitializerApplicator, RegularizerApplicator
from allennlp.nn.parallel import DdpAccelerator
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.ops.feature_pyramid_network import ExtraFPNBlock, LastLevelP6P7

from allencv.data.fields.bounding_box_field import BACKGROUND_OFFSET
from allencv.data.transforms.normalize import IMAGENET_MEAN, IMAGENET_STD
from allencv.models.vision_model import VisionModel
from allencv.optional_dependencies import import_optional
from allencv.training.metrics.gathering import gather_from_processes
from allencv.modules.feature_pyramid import FeaturePyramid
from allencv.modules.im2im_encoders import Im2ImEncoder
from allencv.modules.pretrained import build_torchvision_model

BoxTarget = Dict[str, torch.Tensor]


class ObjectDetector(VisionModel):
    """
    What AllenCV's detection models share: a torchvision detector (Faster R-CNN, RetinaNet,
    FCOS, Keypoint R-CNN), built either on an AllenCV `Im2ImEncoder` plus a feature pyramid (torchvision's
    `FeaturePyramidNetwork` on the encoder's `forward_features`), or by name from torchvision
    (`torchvision_model`, e.g. `"fasterrcnn_resnet50_fpn"`, with its COCO `weights`), its
    classifier then resized to this vocabulary. `num_classes` is the number of labels in
    `label_namespace` plus one for the background.

    Inputs are the `image`, `boxes` and `metadata` fields of the detection readers. Images are
    cropped back to their own `metadata["image_size"]` (undoing the batch's padding), then
    resized to `min_size`/`max_size` and normalized with `image_mean`/`image_std` inside the
    torchvision model, so the readers must not normalize. Predicted boxes are in the pixels of
    the image the model was given (after the reader's transforms).

    In training, the output's `loss` is the sum of torchvision's losses, each of which is also
    reported as a metric (`loss_classifier`, `loss_box_reg`, ...; `loss_` is prefixed to
    RetinaNet's and FCOS's names). In evaluation, the output holds per-image `boxes`
    (`(num_detections, 4)` xyxy), `scores` and `label_ids`; with gold `boxes`, COCO metrics (torchmetrics' `MeanAveragePrecision`, pycocotools backend) are
    computed at the end of each validation or `allennlp evaluate` run: `map` (mAP@[.5:.95]),
    `map_50`, `map_75`, `mar_100` and `AP_<label>` per class. The evaluation output has no `loss`:
    torchvision's detectors compute losses only in training mode. (`allennlp evaluate` then
    reports none; `allennlp train` reports a validation loss of 0 unless the trainer has the
    `drop_unmeasured_validation_loss` callback, as the detection configs do.)

    # Parameters

    vocab : `Vocabulary`
    backbone : `Im2ImEncoder`, optional
        An encoder with multi-scale features, e.g. `pretrained_resnet`. Give this or
        `torchvision_model`.
    torchvision_model : `str`, optional
        A torchvision detection model of this family, e.g. `"fasterrcnn_resnet50_fpn"`.
    weights : `str`, optional
        torchvision weights of `torchvision_model` (e.g. `"DEFAULT"`, COCO's), loaded through
        torchvision's cache (`$TORCH_HOME/hub/checkpoints`); null for random initialisation.
    weights_path : `str`, optional
        A local checkpoint of `torchvision_model` to load instead.
    feature_stages : `List[str]`, optional
        The `backbone` stages the pyramid uses (names from its `get_feature_info()`); by default
        the family's: the deepest four for Faster R-CNN and Keypoint R-CNN, the deepest three
        for RetinaNet and FCOS (a ResNet's `layer1`-`layer4` and `layer2`-`layer4`).
    fpn_channels : `int`, optional (default = `256`)
    anchor_sizes : `List[int]`, optional
        One anchor size (pixels) per pyramid level; by default proportional to each level's
        stride, as in torchvision.
    aspect_ratios : `List[float]`, optional
        Anchor height/width ratios (default: the family's).
    min_size : `int`, optional (default = `800`)
        Images are resized so that their shorter side is `min_size` ...
    max_size : `int`, optional (default = `1333`)
        ... and their longer side at most `max_size`.
    image_mean : `List[float]`, optional (default = ImageNet's)
    image_std : `List[float]`, optional (default = ImageNet's)
    score_threshold : `float`, optional
        Detections scoring lower are dropped (default: the family's).
    detections_per_image : `int`, optional (default = `100`)
    label_namespace : `str`, optional (default = `"labels"`)
    initializer : `InitializerApplicator`, optional
    regularizer : `RegularizerApplicator`, optional
        Adds a penalty on the parameters to the loss (see `Model`).
    """

    default_predictor = "object_detector"
    #: Names of torchvision models of this family start with this.
    torchvision_prefix = ""
    #: Anchor size per pyramid level, as a multiple of the level's stride.
    anchor_stride_multiple = 8
    #: Anchor sizes per level, in octave steps (RetinaNet uses 3: 2^0, 2^(1/3), 2^(2/3)).
    scales_per_octave = 1
    default_aspect_ratios = (0.5, 1.0, 2.0)
    default_score_threshold = 0.05

    def __init__(
        self,
        vocab: Vocabulary,
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
        super().__init__(vocab, regularizer, serialization_dir, ddp_accelerator)
        self._label_namespace = label_namespace
        num_labels = vocab.get_vocab_size(namespace=label_namespace)
        if num_labels < 1:
            raise ConfigurationError(
                f"The vocabulary has no labels in namespace {label_namespace!r}; check that the "
                "training data has annotated boxes."
            )
        self.num_classes = num_labels + BACKGROUND_OFFSET
        options = dict(
            min_size=min_size,
            max_size=max_size,
            image_mean=list(image_mean),
            image_std=list(image_std),
            **self.detector_options(
                self.default_score_threshold if score_threshold is None else score_threshold,
                detections_per_image,
            ),
        )
        if (backbone is None) == (torchvision_model is None):
            raise ConfigurationError(
                "Give the detection model either a `backbone` (an Im2ImEncoder such as "
                "pretrained_resnet) or a `torchvision_model` name, not both or neither."
            )
        if torchvision_model is not None:
            self._detector = self._load_torchvision(torchvision_model, weights, weights_path, options)
        else:
            pyramid = FeaturePyramid(
                backbone,
                feature_stages or self.default_feature_stages([info.name for info in backbone.get_feature_info()]),
                fpn_channels,
                self.extra_fpn_block(fpn_channels),
            )
            anchors = self._anchor_generator(pyramid, anchor_sizes, aspect_ratios)
            self._detector = self.build_detector(pyramid, anchors, options)
        detection_metrics = import_optional("torchmetrics.detection", "Object detection metrics")
        import_optional("pycocotools", "Object detection metrics")
        self._mean_average_precision = detection_metrics.MeanAveragePrecision(box_format="xyxy", iou_type="bbox", class_metrics=True)
        self._evaluated_images = 0
        self._loss_sums: Dict[str, float] = {}
        self._loss_batches = 0
        if initializer is not None:
            initializer(self)

    # What each family defines.

    def default_feature_stages(self, stages: List[str]) -> List[str]:
        """The deepest four stages: a ResNet's `layer1` to `layer4` (C2-C5), as torchvision's."""
        return stages[-4:]

    def extra_fpn_block(self, fpn_channels: int) -> ExtraFPNBlock:
        raise NotImplementedError

    def detector_options(self, score_threshold: float, detections_per_image: int) -> Dict[str, Any]:
        raise NotImplementedError

    def build_detector(
        self, backbone: FeaturePyramid, anchors: AnchorGenerator, options: Dict[str, Any]
    ) -> torch.nn.Module:
        raise NotImplementedError

    def replace_classifier(self, detector: torch.nn.Module) -> None:
        """Gives a torchvision-built `detector` a classifier of `self.num_classes` classes."""
        raise NotImplementedError

    # Building.

    def _load_torchvision(
        self, name: str, weights: Optional[str], weights_path: Optional[str], options: Dict[str, Any]
    ) -> torch.nn.Module:
        family = [model for model in torchvision.models.list_models(torchvision.models.detection)
                  if model.startswith(self.torchvision_prefix)]
        if name not in family:
            raise ConfigurationError(
                f"model.torchvision_model {name!r} is not a {type(self).__name__} model; choose "
                f"one of {', '.join(sorted(family))}."
            )
        # weights_backbone=None: the backbone's ImageNet weights are never fetched separately.
        detector = build_torchvision_model(name, weights=weights, weights_path=weights_path, weights_backbone=None, **options)
        self.replace_classifier(detector)
        return detector

    def _anchor_generator(
        self, pyramid: FeaturePyramid, sizes: Optional[List[int]], aspect_ratios: Optional[List[float]]
    ) -> AnchorGenerator:
        strides = pyramid.strides()
        if sizes is None:
            sizes = [self.anchor_stride_multiple * stride for stride in strides]
        if len(sizes) != len(strides):
            raise ConfigurationError(
                f"model.anchor_sizes has {len(sizes)} sizes but the feature pyramid has "
                f"{len(strides)} levels (strides {strides}); give one size per level."
            )
        per_level = tuple(
            tuple(int(size * 2 ** (step / self.scales_per_octave)) for step in range(self.scales_per_octave))
            for size in sizes
        )
        ratios = tuple(aspect_ratios or self.default_aspect_ratios)
        return AnchorGenerator(per_level, (ratios,) * len(per_level))

    # Running.

    def forward(  # type: ignore
        self,
        image: torch.Tensor,
        boxes: Optional[List[BoxTarget]] = None,
        metadata: Optional[List[Dict[str, Any]]] = None,
    ) -> Dict[str, Any]:
        """
        # Parameters

        image : `torch.Tensor`
            `(batch_size, 3, height, width)` in [0, 1], from an unnormalized `ImageField`.
        boxes : `List[Dict[str, torch.Tensor]]`, optional
            Per image, `boxes` `(num_boxes, 4)` and `labels` `(num_boxes,)`, from a
            `BoundingBoxField`. Required in training.
        metadata : `List[Dict[str, Any]]`, optional
            Per image, `image_size` (`[height, width]` before padding) and `image_path`.

        # Returns

        In training, `loss`. In evaluation, per image `boxes` `(num_detections, 4)`, `scores`
        `(num_detections,)` and `label_ids` `(num_detections,)` (vocabulary index + 1), and
        `image_path` when the metadata holds it.
        """
        images = unpad(image, metadata)
        if self.training:
            if boxes is None:
                raise ValueError("Training a detection model needs the `boxes` field.")
            losses = self._detector(images, boxes)
            self._track_losses(losses)
            return {"loss": sum(losses.values())}
        detections = self._detector(images)
        if boxes is not None:
            self.update_evaluation(detections, boxes)
            self._evaluated_images += len(images)
        output = self.detection_output(detections)
        if metadata is not None:
            output["image_path"] = [item.get("image_path") for item in metadata]
        return output

    def update_evaluation(self, detections: List[Dict[str, torch.Tensor]], targets: List[BoxTarget]) -> None:
        """Adds a batch's `detections` (torchvision's, per image) against its gold `targets` to the metrics."""
        self._mean_average_precision.update(detections, targets)

    def detection_output(self, detections: List[Dict[str, torch.Tensor]]) -> Dict[str, Any]:
        """The output of `forward` in evaluation, from torchvision's per-image `detections`."""
        return {
            "boxes": [detection["boxes"] for detection in detections],
            "scores": [detection["scores"] for detection in detections],
            "label_ids": [detection["labels"] for detection in detections],
        }

    def make_output_human_readable(self, output_dict: Dict[str, Any]) -> Dict[str, Any]:
        """Adds `labels`, the label name of each detection, and turns the tensors into lists."""
        names = self.vocab.get_index_to_token_vocabulary(self._label_namespace)
        output_dict["labels"] = [
            [names[index - BACKGROUND_OFFSET] for index in ids.tolist()] for ids in output_dict["label_ids"]
        ]
        for key in ("boxes", "scores", "label_ids"):
            output_dict[key] = [tensor.tolist() for tensor in output_dict[key]]
        return output_dict

    def _track_losses(self, losses: Dict[str, torch.Tensor]) -> None:
        for name, value in losses.items():
            name = name if name.startswith("loss_") else f"loss_{name}"  # RetinaNet's "classification"
            self._loss_sums[name] = self._loss_sums.get(name, 0.0) + value.item()
        self._loss_batches += 1

    def get_metrics(self, reset: bool = False) -> Dict[str, float]:
        metrics = self._mean_losses()
        # COCO evaluation is expensive: it runs once, at the end of a validation or evaluation.
        if reset and self._evaluated_images:
            metrics.update(self.evaluation_metrics())
        if reset:
            self.reset_evaluation()
            self._evaluated_images = 0
            self._loss_sums = {}
            self._loss_batches = 0
        return metrics

    def _mean_losses(self) -> Dict[str, float]:
        """Each loss term's mean over the training batches of every process since the last reset."""
        # Objects, not a tensor: a process that has run no batch yet has no loss names.
        gathered = gather_from_processes((self._loss_sums, self._loss_batches))
        batches = sum(count for _, count in gathered)
        sums: Dict[str, float] = {}
        for loss_sums, _ in gathered:
            for name, total in loss_sums.items():
                sums[name] = sums.get(name, 0.0) + total
        return {name: total / batches for name, total in sums.items()}

    def reset_evaluation(self) -> None:
        self._mean_average_precision.reset()

    def evaluation_metrics(self) -> Dict[str, float]:
        """The COCO metrics of the images `update_evaluation` was given since the last reset."""
        result = self._mean_average_precision.compute()
        metrics = {key: result[key].item() for key in ("map", "map_50", "map_75", "mar_100")}
        names = self.vocab.get_index_to_token_vocabulary(self._label_namespace)
        classes = result["classes"].reshape(-1).tolist()
        for class_id, average_precision in zip(classes, result["map_per_class"].reshape(-1).tolist()):
            if not math.isnan(average_precision) and average_precision >= 0:
                metrics[f"AP_{names[class_id - BACKGROUND_OFFSET]}"] = average_precision
        return metrics


def unpad(images: torch.Tensor, metadata: Optional[List[Dict[str, Any]]]) -> List[torch.Tensor]:
    """Each image of the padded `(batch_size, channels, height, width)` batch at its own size."""
    if metadata is None or any("image_size" not in item for item in metadata):
        return list(images)
    return [image[:, : item["image_size"][0], : item["image_size"][1]] for image, item in zip(images, metadata)]


class DenseDetector(ObjectDetector):
    """
    What the single-stage detectors (RetinaNet, FCOS) share: a pyramid of the deepest three
    stages plus P6 and P7, their detection options, and their dense classification head.
    """

    def default_feature_stages(self, stages: List[str]) -> List[str]:
        """The deepest three stages: a ResNet's `layer2` to `layer4` (C3-C5), as torchvision's."""
        return stages[-3:]

    def extra_fpn_block(self, fpn_channels: int) -> ExtraFPNBlock:
        return LastLevelP6P7(fpn_channels, fpn_channels)

    def detector_options(self, score_threshold: float, detections_per_image: int) -> Dict[str, Any]:
        return {"score_thresh": score_threshold, "detections_per_img": detections_per_image}

    def replace_classifier(self, detector: torch.nn.Module) -> None:
        replace_dense_classifier(detector.head.classification_head, self.num_classes)


def replace_dense_classifier(head: torch.nn.Module, num_classes: int) -> None:
    """
    Resizes the last layer of a RetinaNet or FCOS classification head to `num_classes`, keeping
    its convolution tower, initialised as torchvision does (the focal loss's prior of 0.01).
    """
    old = head.cls_logits
    head.cls_logits = torch.nn.Conv2d(old.in_channels, head.num_anchors * num_classes, kernel_size=3, padding=1)
    torch.nn.init.normal_(head.cls_logits.weight, std=0.01)
    torch.nn.init.constant_(head.cls_logits.bias, -math.log((1 - 0.01) / 0.01))
    head.num_classes = num_classes
