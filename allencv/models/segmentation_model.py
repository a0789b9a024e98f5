from typing import Any, Dict, List, Optional

import torch
from allennlp.common.checks import ConfigurationError
from allennlp.data import Vocabulary
from allennlp.nn import RegularizerApplicator
from allennlp.nn.parallel import DdpAccelerator

from allencv.data.fields.mask_field import DEFAULT_IGNORE_INDEX
from allencv.models.vision_model import VisionModel
from allencv.training.metrics import SegmentationIoU


class SegmentationModel(VisionModel):
    """
    What AllenCV's semantic segmentation models share: the classes come from the vocabulary
    (a `MaskField` puts them there), the loss is per-pixel cross entropy that skips `ignore_index`
    (optionally with class weights), the metrics are `SegmentationIoU`'s, and the output holds
    per-pixel `logits` at the input size plus, once made human readable, the predicted `mask`.
    Subclasses compute the logits in `compute_logits`. Like every `VisionModel`, an archive loads
    without reading the pretrained weights the config names.

    # Parameters

    vocab : `Vocabulary`
    label_namespace : `str`, optional (default = `"labels"`)
    ignore_index : `int`, optional (default = `255`)
    class_weights : `List[float]`, optional
        One loss weight per class, e.g. to count rare classes more.
    """

    default_predictor = "semantic_segmentation"

    def __init__(
        self,
        vocab: Vocabulary,
        label_namespace: str = "labels",
        ignore_index: int = DEFAULT_IGNORE_INDEX,
        class_weights: Optional[List[float]] = None,
        regularizer: Optional[RegularizerApplicator] = None,
        serialization_dir: Optional[str] = None,
        ddp_accelerator: Optional[DdpAccelerator] = None,
    ) -> None:
        super().__init__(vocab, regularizer, serialization_dir, ddp_accelerator)
        self._label_namespace = label_namespace
        self.class_names = [
            vocab.get_token_from_index(index, label_namespace)
            for index in range(vocab.get_vocab_size(label_namespace))
        ]
        self.num_classes = len(self.class_names)
        if self.num_classes < 2:
            raise ConfigurationError(
                f"The vocabulary has {self.num_classes} class(es) in namespace {label_namespace!r}; "
                "segmentation needs at least 2. Check the reader's class_names."
            )
        if class_weights is not None and len(class_weights) != self.num_classes:
            raise ConfigurationError(
                f"model.class_weights has {len(class_weights)} values but there are {self.num_classes} "
                f"classes ({', '.join(self.class_names)}); give one weight per class."
            )
        weight = torch.tensor(class_weights, dtype=torch.float) if class_weights is not None else None
        self._loss = torch.nn.CrossEntropyLoss(weight=weight, ignore_index=ignore_index)
        self._metrics = SegmentationIoU(self.num_classes, self.class_names, ignore_index)

    def compute_logits(self, image: torch.Tensor) -> Dict[str, torch.Tensor]:
        """
        `{"logits": (batch_size, num_classes, height, width)}` at the input size, plus any
        auxiliary logits (keys starting with `aux`) whose loss is added with weight 0.5 in training.
        """
        raise NotImplementedError

    def forward(  # type: ignore
        self,
        image: torch.Tensor,
        mask: Optional[torch.LongTensor] = None,
        metadata: Optional[List[Dict[str, Any]]] = None,
    ) -> Dict[str, Any]:
        """
        # Parameters

        image : `torch.Tensor`
            `(batch_size, channels, height, width)`, from an `ImageField`.
        mask : `torch.LongTensor`, optional
            `(batch_size, height, width)` gold class indices, from a `MaskField`.
        metadata : `List[Dict[str, Any]]`, optional
            Per-image metadata, passed through as `metadata`.

        # Returns

        An output dictionary with `logits`, `(batch_size, num_classes, height, width)`, `loss`
        when `mask` is given, and `metadata` when given.
        """
        outputs = self.compute_logits(image)
        logits = outputs["logits"]
        output_dict: Dict[str, Any] = {"logits": logits}
        if metadata is not None:
            output_dict["metadata"] = metadata
        if mask is not None:
            loss = self._loss(logits, mask)
            if self.training:
                for name, aux_logits in outputs.items():
                    if name.startswith("aux"):
                        loss = loss + 0.5 * self._loss(aux_logits, mask)
            output_dict["loss"] = loss
            self._metrics(logits, mask)
        return output_dict

    def make_output_human_readable(self, output_dict: Dict[str, Any]) -> Dict[str, Any]:
        """
        Adds `mask`, `(batch_size, height, width)`, the most probable class of each pixel (its
        name is `self.class_names[index]`).
        """
        output_dict["mask"] = output_dict["logits"].argmax(dim=1)
        return output_dict

    def get_metrics(self, reset: bool = False) -> Dict[str, float]:
        return self._metrics.get_metric(reset)


def upsample_to(logits: torch.Tensor, size: torch.Size) -> torch.Tensor:
    """Bilinear upsampling of `(batch_size, num_classes, h, w)` logits to `size` `(height, width)`."""
    if logits.shape[-2:] == size:
        return logits
    return torch.nn.functional.interpolate(logits, size=size, mode="bilinear", align_corners=False)
