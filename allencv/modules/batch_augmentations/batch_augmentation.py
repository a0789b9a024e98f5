from typing import Any, Tuple

import torch
from allennlp.common import Registrable


class BatchAugmentation(Registrable):
    """
    Augments a whole training batch at once, mixing images and their labels, as MixUp and CutMix
    do: `(batch_size, channels, height, width)` images and `(batch_size,)` label indices in;
    images of the same shape and `(batch_size, num_labels)` soft targets out. Each one wraps a
    `torchvision.transforms.v2` batch transform. `BasicImageClassifier` applies it to training
    batches only.
    """

    def __init__(self, transform: Any) -> None:
        self.transform = transform

    def __call__(
        self, images: torch.Tensor, labels: torch.Tensor, num_labels: int
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        # One-hot first, so that the number of labels is known whatever the batch holds.
        one_hot = torch.nn.functional.one_hot(labels, num_labels).to(images.dtype)
        return self.transform(images, one_hot)
