from typing import Dict, List, Optional, Sequence

import torch
from allennlp.common.checks import ConfigurationError
from allennlp.data.fields.field import Field
from allennlp.data.vocabulary import Vocabulary

#: The class index of pixels that neither the loss nor the metrics count (VOC's object borders).
DEFAULT_IGNORE_INDEX = 255


class MaskField(Field[torch.Tensor]):
    """
    A semantic segmentation mask: one class index per pixel, as a `(height, width)` tensor (kept
    compact, e.g. `uint8`, until batching). A batch of them is a `(batch_size, height, width)`
    `long` tensor. Masks of different sizes are padded at the bottom and right, like their
    `ImageField`s, with `ignore_index`, so padding is never trained on or scored.

    When `class_names` are given, they are added to the vocabulary namespace `label_namespace`
    in this order (so index `i` is `class_names[i]`), which is how a model learns the number of
    classes and a predictor their names.

    # Parameters

    mask : `torch.Tensor`
        A `(height, width)` integer tensor of class indices (or `ignore_index`).
    class_names : `Sequence[str]`, optional
        The names of the class indices `0 .. len(class_names) - 1`.
    label_namespace : `str`, optional (default = `"labels"`)
    ignore_index : `int`, optional (default = `255`)
    """

    __slots__ = ["mask", "class_names", "label_namespace", "ignore_index"]

    def __init__(
        self,
        mask: torch.Tensor,
        class_names: Optional[Sequence[str]] = None,
        label_namespace: str = "labels",
        ignore_index: int = DEFAULT_IGNORE_INDEX,
    ) -> None:
        if mask.dim() != 2 or mask.is_floating_point() or mask.dtype == torch.bool:
            raise ValueError(
                f"MaskField expects a (height, width) integer tensor, got {tuple(mask.shape)} {mask.dtype}"
            )
        self.mask = mask.as_subclass(torch.Tensor)
        self.class_names = tuple(class_names) if class_names is not None else None
        self.label_namespace = label_namespace
        self.ignore_index = ignore_index

    def count_vocab_items(self, counter: Dict[str, Dict[str, int]]) -> None:
        # Every name is counted once per mask, so ties keep `class_names`' order in the vocabulary.
        for name in self.class_names or ():
            counter[self.label_namespace][name] += 1

    def index(self, vocab: Vocabulary) -> None:
        if self.class_names is None:
            return
        indices = vocab.get_token_to_index_vocabulary(self.label_namespace)
        misplaced = [name for position, name in enumerate(self.class_names) if indices.get(name) != position]
        if misplaced:
            raise ConfigurationError(
                f"The vocabulary's {self.label_namespace!r} namespace does not list the mask classes "
                f"in their index order (first out of place: {misplaced[0]!r}). Build the vocabulary "
                "from the segmentation reader alone, and do not share that namespace with other labels."
            )

    def get_padding_lengths(self) -> Dict[str, int]:
        height, width = self.mask.shape
        return {"height": height, "width": width}

    def as_tensor(self, padding_lengths: Dict[str, int]) -> torch.Tensor:
        height, width = self.mask.shape
        # (height, width), padded at the bottom and right
        padded = torch.full(
            (padding_lengths["height"], padding_lengths["width"]), self.ignore_index, dtype=torch.long
        )
        padded[:height, :width] = self.mask
        return padded

    def batch_tensors(self, tensor_list: List[torch.Tensor]) -> torch.Tensor:
        # (batch_size, height, width)
        return torch.stack(tensor_list)

    def empty_field(self) -> "MaskField":
        return MaskField(
            torch.zeros((0, 0), dtype=self.mask.dtype), self.class_names, self.label_namespace, self.ignore_index
        )

    def __str__(self) -> str:
        height, width = self.mask.shape
        return f"MaskField of {height}x{width} class indices (ignore index {self.ignore_index})."

    def __len__(self) -> int:
        return 1

    def human_readable_repr(self) -> Dict[str, int]:
        return self.get_padding_lengths()
