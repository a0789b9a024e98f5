from typing import Dict, List, Optional

import torch
from allennlp.common.util import is_distributed
from allennlp.nn.util import dist_reduce_sum
from allennlp.training.metrics.metric import Metric


@Metric.register("confusion_matrix")
class ConfusionMatrix(Metric):
    """
    Counts `(gold, predicted)` label pairs: `get_metric()` returns a `num_labels x num_labels`
    nested list whose row `i`, column `j` is the number of instances of label `i` predicted as
    label `j` (rows are gold labels, as in scikit-learn). Sums across distributed processes.

    Registered as a `Metric` with name "confusion_matrix".

    # Parameters

    num_labels : `int`
    """

    supports_distributed = True

    def __init__(self, num_labels: int) -> None:
        self._num_labels = num_labels
        self._counts = torch.zeros(num_labels, num_labels, dtype=torch.long)

    def __call__(
        self,
        predictions: torch.Tensor,
        gold_labels: torch.Tensor,
        mask: Optional[torch.BoolTensor] = None,
    ) -> None:
        """
        # Parameters

        predictions : `torch.Tensor`
            `(batch_size, num_labels)` scores (logits or probabilities).
        gold_labels : `torch.Tensor`
            `(batch_size,)` gold label indices.
        mask : `torch.BoolTensor`, optional
            `(batch_size,)`; instances where it is false are not counted.
        """
        predictions, gold_labels, mask = self.detach_tensors(predictions, gold_labels, mask)
        predicted = predictions.argmax(dim=-1).view(-1)
        gold = gold_labels.view(-1).long()
        if mask is not None:
            predicted, gold = predicted[mask.view(-1)], gold[mask.view(-1)]
        # Pair (g, p) is counted at g * num_labels + p of the flattened counts.
        pairs = (gold * self._num_labels + predicted).cpu()
        if not is_distributed():
            # O(batch_size), not O(num_labels ** 2): 1,000 labels make a million counts.
            self._counts.view(-1).index_add_(0, pairs, torch.ones_like(pairs))
            return
        batch_counts = torch.bincount(pairs, minlength=self._num_labels ** 2).to(gold_labels.device)
        self._counts += dist_reduce_sum(batch_counts.view(self._num_labels, self._num_labels)).cpu()

    def get_metric(self, reset: bool = False) -> List[List[int]]:
        return self.get_counts(reset).tolist()

    def get_counts(self, reset: bool = False) -> torch.LongTensor:
        """The counts as a `(num_labels, num_labels)` tensor (rows gold, columns predicted)."""
        counts = self._counts
        if reset:
            self.reset()
        return counts

    def reset(self) -> None:
        self._counts = torch.zeros(self._num_labels, self._num_labels, dtype=torch.long)


def scores_by_label(counts: torch.Tensor) -> Dict[str, torch.Tensor]:
    """
    Each label's `precision`, `recall` and `fscore` (F1), `(num_labels,)` float64 tensors, and its
    `support` (gold count) and whether it was `seen` (as gold or predicted), from a
    `(num_labels, num_labels)` confusion matrix (rows gold). A ratio whose denominator is 0 is 0, as
    in allennlp's `FBetaMeasure` and scikit-learn.
    """
    true_positives = counts.diagonal().double()
    support = counts.sum(dim=1).double()
    predicted = counts.sum(dim=0).double()
    precision = true_positives / predicted.clamp_min(1)
    recall = true_positives / support.clamp_min(1)
    fscore = 2 * precision * recall / (precision + recall).clamp_min(torch.finfo(torch.float64).tiny)
    return {"precision": precision, "recall": recall, "fscore": fscore, "support": support,
            "seen": (support + predicted) > 0}
