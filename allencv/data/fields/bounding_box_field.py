from typing import Dict, List, Optional

import torch
from allennlp.data.fields.field import Field
from allennlp.data.vocabulary import Vocabulary

#: torchvision's detection models reserve label 0 for the background.
BACKGROUND_OFFSET = 1

BoxTarget = Dict[str, torch.Tensor]


class BoundingBoxField(Field[BoxTarget]):
    """
    The objects in one image: any number of boxes (zero included), each `[x1, y1, x2, y2]` in
    pixels of the (transformed) image, with a label per box. Labels are indexed in a vocabulary
    namespace, and shifted by one so that index 0 is the background, as torchvision's detection
    models expect: a vocabulary of `n` labels makes a detector of `n + 1` classes.

    A batch of these is what torchvision's detection models take as `targets`: a list with one
    `{"boxes": (num_boxes, 4) float tensor, "labels": (num_boxes,) int64 tensor}` per image.
    Nothing is padded.

    # Parameters

    boxes : `torch.Tensor`
        `(num_boxes, 4)` boxes in xyxy pixels (e.g. a `tv_tensors.BoundingBoxes` after the
        reader's transforms).
    labels : `List[str]`
        One label per box.
    label_namespace : `str`, optional (default = `"labels"`)
    """

    __slots__ = ["boxes", "labels", "label_namespace", "_label_ids"]

    def __init__(self, boxes: torch.Tensor, labels: List[str], label_namespace: str = "labels") -> None:
        boxes = boxes.as_subclass(torch.Tensor).float().reshape(-1, 4) if boxes.numel() else torch.zeros((0, 4))
        if boxes.shape[0] != len(labels):
            raise ValueError(f"BoundingBoxField got {boxes.shape[0]} boxes but {len(labels)} labels.")
        self.boxes = boxes
        self.labels = list(labels)
        self.label_namespace = label_namespace
        self._label_ids: Optional[List[int]] = None

    def count_vocab_items(self, counter: Dict[str, Dict[str, int]]) -> None:
        for label in self.labels:
            counter[self.label_namespace][label] += 1

    def index(self, vocab: Vocabulary) -> None:
        self._label_ids = [
            vocab.get_token_index(label, self.label_namespace) + BACKGROUND_OFFSET for label in self.labels
        ]

    def get_padding_lengths(self) -> Dict[str, int]:
        return {}

    def as_tensor(self, padding_lengths: Dict[str, int]) -> BoxTarget:
        if self._label_ids is None:
            raise RuntimeError("BoundingBoxField.index(vocab) must be called before as_tensor.")
        return {"boxes": self.boxes, "labels": torch.tensor(self._label_ids, dtype=torch.int64)}

    def batch_tensors(self, tensor_list: List[BoxTarget]) -> List[BoxTarget]:  # type: ignore
        return tensor_list

    def empty_field(self) -> "BoundingBoxField":
        field = BoundingBoxField(torch.zeros((0, 4)), [], self.label_namespace)
        field._label_ids = []
        return field

    def __str__(self) -> str:
        return f"BoundingBoxField with {len(self.labels)} boxes in namespace {self.label_namespace!r}."

    def __len__(self) -> int:
        return len(self.labels)

    def human_readable_repr(self) -> Dict[str, list]:
        return {"boxes": self.boxes.tolist(), "labels": self.labels}
