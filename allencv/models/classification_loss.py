from typing import Dict, List, Optional, Union

import torch
from allennlp.common.checks import ConfigurationError

ClassWeights = Union[List[float], Dict[str, float], str]


class ClassificationLoss(torch.nn.Module):
    """
    Cross-entropy of `(batch_size, num_labels)` logits with `(batch_size,)` label indices or
    `(batch_size, num_labels)` soft targets (from mixup or cutmix), with optional label smoothing
    and per-label weights. The weights are a buffer, saved with the model.

    # Parameters

    labels : `List[str]`
        The label names, in vocabulary order.
    label_smoothing : `float`, optional (default = `0.0`)
    class_weights : `Union[List[float], Dict[str, float], str]`, optional
        A list in vocabulary order, a dict by label name (missing labels weigh 1), or
        `"balanced"`, set from the training counts by `set_class_weights_from_counts` (the
        `balanced_class_weights` trainer callback does it before training).
    """

    def __init__(
        self, labels: List[str], label_smoothing: float = 0.0, class_weights: Optional[ClassWeights] = None
    ) -> None:
        super().__init__()
        if not 0.0 <= label_smoothing < 1.0:
            raise ConfigurationError(f"model.label_smoothing must be in [0, 1), got {label_smoothing}.")
        self.labels = list(labels)
        self.label_smoothing = label_smoothing
        self.balanced = class_weights == "balanced"
        self.register_buffer("class_weights", self._initial_weights(class_weights))

    def _initial_weights(self, class_weights: Optional[ClassWeights]) -> Optional[torch.Tensor]:
        if class_weights is None:
            return None
        if self.balanced:
            return torch.full((len(self.labels),), float("nan"))  # until the counts are known
        if isinstance(class_weights, str):
            raise ConfigurationError(
                f'model.class_weights must be a list, a dict or "balanced", got {class_weights!r}.'
            )
        if isinstance(class_weights, dict):
            unknown = sorted(set(class_weights) - set(self.labels))
            if unknown:
                raise ConfigurationError(
                    f"model.class_weights names labels that are not in the data: {', '.join(unknown)}; "
                    f"the labels are {', '.join(self.labels)}."
                )
            class_weights = [float(class_weights.get(label, 1.0)) for label in self.labels]
        if len(class_weights) != len(self.labels):
            raise ConfigurationError(
                f"model.class_weights has {len(class_weights)} weights but there are {len(self.labels)} "
                f"labels ({', '.join(self.labels)}); give one per label in this order, or a dict by name."
            )
        return torch.tensor(class_weights, dtype=torch.float)

    def set_class_weights_from_counts(self, counts: Dict[str, int]) -> None:
        """scikit-learn's "balanced" weights, `n_images / (n_labels * n_images_of_label)`."""
        missing = [label for label in self.labels if not counts.get(label)]
        if missing:
            raise ConfigurationError(f"Cannot balance class weights: no training images of {', '.join(missing)}.")
        per_label = torch.tensor([float(counts[label]) for label in self.labels])
        self.class_weights.copy_(per_label.sum() / (len(self.labels) * per_label))

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        if self.balanced and torch.isnan(self.class_weights).any():
            raise ConfigurationError(
                'model.class_weights is "balanced" but nothing computed them: add '
                '{"type": "balanced_class_weights"} to trainer.callbacks.'
            )
        return torch.nn.functional.cross_entropy(
            logits, targets, weight=self.class_weights, label_smoothing=self.label_smoothing
        )
