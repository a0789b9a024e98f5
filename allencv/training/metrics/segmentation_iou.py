from typing import Dict, Optional, Sequence

import torch
from allennlp.nn.util import dist_reduce_sum
from allennlp.training.metrics.metric import Metric

from allencv.data.fields.mask_field import DEFAULT_IGNORE_INDEX


@Metric.register("segmentation_iou")
class SegmentationIoU(Metric):
    """
    Semantic segmentation metrics from a confusion matrix accumulated over every pixel seen since
    the last reset (and summed over distributed workers), so they are exact over a whole dataset
    rather than averages of per-batch values:

    - `mean_iou`: the mean, over the classes that occur in the gold masks or the predictions, of
      intersection over union `TP / (TP + FP + FN)`;
    - `pixel_accuracy`: the fraction of pixels predicted correctly;
    - `iou_<class name>`: each class's IoU, when `per_class` is true (classes that never occurred
      are left out).

    Pixels whose gold label is `ignore_index` count nowhere.

    Registered as a `Metric` with name "segmentation_iou".

    # Parameters

    num_classes : `int`
    class_names : `Sequence[str]`, optional
        Names for the per-class metrics; class indices otherwise.
    ignore_index : `int`, optional (default = `255`)
    per_class : `bool`, optional (default = `True`)
    """

    def __init__(
        self,
        num_classes: int,
        class_names: Optional[Sequence[str]] = None,
        ignore_index: int = DEFAULT_IGNORE_INDEX,
        per_class: bool = True,
    ) -> None:
        self.num_classes = num_classes
        self.class_names = list(class_names) if class_names is not None else [str(i) for i in range(num_classes)]
        self.ignore_index = ignore_index
        self.per_class = per_class
        # confusion[gold, predicted] = number of pixels
        self.confusion = torch.zeros(num_classes, num_classes, dtype=torch.long)

    def __call__(self, predictions: torch.Tensor, gold_labels: torch.Tensor, mask: Optional[torch.BoolTensor] = None) -> None:  # type: ignore
        """
        # Parameters

        predictions : `torch.Tensor`
            `(batch_size, num_classes, height, width)` scores, or `(batch_size, height, width)`
            predicted class indices.
        gold_labels : `torch.Tensor`
            `(batch_size, height, width)` gold class indices, `ignore_index` where unlabelled.
        mask : `torch.BoolTensor`, optional
            `(batch_size, height, width)`; pixels where it is false are not counted.
        """
        predictions, gold_labels = self.detach_tensors(predictions, gold_labels)
        if predictions.dim() == gold_labels.dim() + 1:
            predictions = predictions.argmax(dim=1)
        valid = gold_labels != self.ignore_index
        if mask is not None:
            valid &= mask.bool()
        gold = gold_labels[valid].long()
        predicted = predictions[valid].long()
        counts = torch.bincount(gold * self.num_classes + predicted, minlength=self.num_classes**2)
        self.confusion += counts.view(self.num_classes, self.num_classes).cpu()

    def get_metric(self, reset: bool = False) -> Dict[str, float]:
        # Summed over distributed workers (a no-op otherwise).
        confusion = dist_reduce_sum(self.confusion).cpu().double()
        true_positives = confusion.diag()
        union = confusion.sum(dim=0) + confusion.sum(dim=1) - true_positives
        occurred = union > 0
        iou = true_positives / union.clamp(min=1)
        total = confusion.sum()
        metrics = {
            "mean_iou": iou[occurred].mean().item() if occurred.any() else 0.0,
            "pixel_accuracy": (true_positives.sum() / total).item() if total > 0 else 0.0,
        }
        if self.per_class:
            for index in occurred.nonzero().flatten().tolist():
                metrics[f"iou_{self.class_names[index]}"] = iou[index].item()
        if reset:
            self.reset()
        return metrics

    def reset(self) -> None:
        self.confusion.zero_()

