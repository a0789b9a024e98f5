from typing import Dict, List, Optional

import torch
from allennlp.training.metrics.metric import Metric

from allencv.optional_dependencies import import_optional
from allencv.training.metrics.gathering import gather_from_processes


@Metric.register("multi_label")
class MultiLabelMetrics(Metric):
    """
    Multi-label classification metrics over every instance seen since the last reset (the scores
    are kept, since average precision needs them all): `mAP` (the mean over labels of each label's
    average precision, labels without a positive instance left out), and `micro_f1` and `macro_f1`
    of the labels whose probability is at least `threshold`. Computed with torchmetrics, over
    every process's instances in distributed training (gathered, like allennlp's metrics).

    Registered as a `Metric` with name "multi_label".

    # Parameters

    num_labels : `int`
    threshold : `float`, optional (default = `0.5`)
        A label is predicted when its probability is at least this.
    """

    def __init__(self, num_labels: int, threshold: float = 0.5) -> None:
        self._num_labels = num_labels
        self._threshold = threshold
        self._probs: List[torch.Tensor] = []
        self._gold: List[torch.Tensor] = []

    def __call__(
        self,
        predictions: torch.Tensor,
        gold_labels: torch.Tensor,
        mask: Optional[torch.BoolTensor] = None,
    ) -> None:
        """
        # Parameters

        predictions : `torch.Tensor`
            `(batch_size, num_labels)` probabilities.
        gold_labels : `torch.Tensor`
            `(batch_size, num_labels)` 0/1 targets.
        mask : `torch.BoolTensor`, optional
            `(batch_size,)`; instances where it is false are not counted.
        """
        predictions, gold_labels, mask = self.detach_tensors(predictions, gold_labels, mask)
        if mask is not None:
            predictions, gold_labels = predictions[mask], gold_labels[mask]
        self._probs.append(predictions.float().cpu())
        self._gold.append(gold_labels.long().cpu())

    def get_metric(self, reset: bool = False) -> Dict[str, float]:
        gathered = gather_from_processes((self._probs, self._gold))
        probs = [batch for process_probs, _ in gathered for batch in process_probs]
        gold = [batch for _, process_gold in gathered for batch in process_gold]
        if not probs:
            return {"mAP": 0.0, "micro_f1": 0.0, "macro_f1": 0.0}
        functional = import_optional("torchmetrics.functional.classification", "MultiLabelMetrics")
        multilabel_average_precision = functional.multilabel_average_precision
        multilabel_f1_score = functional.multilabel_f1_score
        probs, gold = torch.cat(probs), torch.cat(gold)
        arguments = dict(num_labels=self._num_labels, threshold=self._threshold)
        has_positive = gold.sum(dim=0) > 0
        # (num_labels,): NaN-free only for labels that have a positive instance.
        per_label_ap = multilabel_average_precision(probs, gold, num_labels=self._num_labels, average="none")
        metrics = {
            "mAP": per_label_ap[has_positive].mean().item() if has_positive.any() else 0.0,
            "micro_f1": multilabel_f1_score(probs, gold, average="micro", **arguments).item(),
            "macro_f1": multilabel_f1_score(probs, gold, average="macro", **arguments).item(),
        }
        if reset:
            self.reset()
        return metrics

    def reset(self) -> None:
        self._probs = []
        self._gold = []
