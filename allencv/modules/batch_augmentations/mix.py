"""MixUp and CutMix, and a random choice between them (torchvision's reference recipe)."""
from typing import List

from torchvision.transforms import v2

from allencv.modules.batch_augmentations.batch_augmentation import BatchAugmentation


@BatchAugmentation.register("mixup")
class MixUp(BatchAugmentation):
    """
    Blends each image with another of the batch, and their labels alike, by a weight drawn from
    Beta(`alpha`, `alpha`). Registered as a `BatchAugmentation` with name "mixup".
    """

    def __init__(self, alpha: float = 0.2) -> None:
        super().__init__(v2.MixUp(alpha=float(alpha)))  # jsonnet writes 1.0 as the int 1


@BatchAugmentation.register("cutmix")
class CutMix(BatchAugmentation):
    """
    Pastes a random box of another image of the batch into each image, mixing the labels by the
    box's area, whose fraction is drawn from Beta(`alpha`, `alpha`). Registered as a
    `BatchAugmentation` with name "cutmix".
    """

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__(v2.CutMix(alpha=float(alpha)))  # jsonnet writes 1.0 as the int 1


@BatchAugmentation.register("random_choice")
class RandomChoice(BatchAugmentation):
    """
    Applies one of `choices`, drawn at random for each batch (e.g. mixup or cutmix, as in
    torchvision's reference recipes). Registered as a `BatchAugmentation` with name
    "random_choice".
    """

    def __init__(self, choices: List[BatchAugmentation]) -> None:
        super().__init__(v2.RandomChoice([choice.transform for choice in choices]))
