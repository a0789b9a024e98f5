import json
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from allennlp.data.fields.field import Field
from allennlp.data.vocabulary import Vocabulary

#: torchvision's detection models reserve label 0 for the background.
BACKGROUND_OFFSET = 1
#: The vocabulary namespace of keypoint names: a keypoint's index there is its row in the model.
KEYPOINT_NAMESPACE = "keypoint_labels"
#: The vocabulary namespace of the skeleton: the pairs of keypoints to join, as JSON `[name, name]`.
SKELETON_NAMESPACE = "keypoint_skeleton_labels"

BoxTarget = Dict[str, torch.Tensor]


class BoundingBoxField(Field[BoxTarget]):
    """
    The objects in one image: any number of boxes (zero included), each `[x1, y1, x2, y2]` in
    pixels of the (transformed) image, with a label per box and, optionally, keypoints and an
    instance mask per box.
    Labels are indexed in a vocabulary namespace, and shifted by one so that index 0 is the
    background, as torchvision's detection models expect: a vocabulary of `n` labels makes a
    detector of `n + 1` classes.

    Keypoints are `(x, y, visibility)` per box and keypoint name, with COCO's visibility (0: not
    labelled, 1: labelled but hidden, 2: visible). The names are counted in the vocabulary
    namespace `keypoint_labels`, whose order the keypoints are put in when indexed (a name this
    image lacks gets visibility 0), so that every image gives a keypoint model the same rows. The
    `skeleton`, pairs of names joined when keypoints are drawn, is counted in
    `keypoint_skeleton_labels`, so that a trained model carries it to its predictor.

    A batch of these is what torchvision's detection models take as `targets`: a list with one
    `{"boxes": (num_boxes, 4) float tensor, "labels": (num_boxes,) int64 tensor}` per image, plus
    `"keypoints": (num_boxes, num_keypoints, 3)` with keypoints and `"masks": (num_boxes, height,
    width)` `uint8` (1 inside the object) with masks. Nothing is padded: the masks are the size of
    their image before the batch's padding, which the detection models undo.

    # Parameters

    boxes : `torch.Tensor`
        `(num_boxes, 4)` boxes in xyxy pixels (e.g. a `tv_tensors.BoundingBoxes` after the
        reader's transforms).
    labels : `List[str]`
        One label per box.
    label_namespace : `str`, optional (default = `"labels"`)
    keypoints : `torch.Tensor`, optional
        `(num_boxes, len(keypoint_names), 3)` `(x, y, visibility)`.
    keypoint_names : `List[str]`, optional
        The name of each keypoint column; required with `keypoints`.
    skeleton : `List[Tuple[str, str]]`, optional
        Pairs of `keypoint_names` to join when drawing.
    masks : `torch.Tensor`, optional
        `(num_boxes, height, width)` instance masks (boolean or 0/1), e.g. a `tv_tensors.Mask`
        after the reader's transforms.
    """

    __slots__ = [
        "boxes", "labels", "label_namespace", "keypoints", "keypoint_names", "skeleton", "masks",
        "_label_ids", "_indexed_keypoints",
    ]

    def __init__(
        self,
        boxes: torch.Tensor,
        labels: List[str],
        label_namespace: str = "labels",
        keypoints: Optional[torch.Tensor] = None,
        keypoint_names: Optional[List[str]] = None,
        skeleton: Optional[Sequence[Tuple[str, str]]] = None,
        masks: Optional[torch.Tensor] = None,
    ) -> None:
        boxes = boxes.as_subclass(torch.Tensor).float().reshape(-1, 4) if boxes.numel() else torch.zeros((0, 4))
        if boxes.shape[0] != len(labels):
            raise ValueError(f"BoundingBoxField got {boxes.shape[0]} boxes but {len(labels)} labels.")
        if (keypoints is None) != (keypoint_names is None):
            raise ValueError("BoundingBoxField needs both `keypoints` and `keypoint_names`, or neither.")
        if keypoints is not None and keypoint_names is not None:
            keypoints = keypoints.as_subclass(torch.Tensor).float().reshape(-1, len(keypoint_names), 3)
            if keypoints.shape[0] != len(labels):
                raise ValueError(f"BoundingBoxField got keypoints for {keypoints.shape[0]} boxes but {len(labels)} labels.")
        if masks is not None:
            masks = masks.as_subclass(torch.Tensor)
            if masks.dim() != 3 or masks.shape[0] != len(labels):
                raise ValueError(
                    f"BoundingBoxField got masks of shape {tuple(masks.shape)} for {len(labels)} labels; "
                    "expected (num_boxes, height, width)."
                )
            masks = masks.to(torch.uint8)  # 0/1, a quarter of float's memory
        self.boxes = boxes
        self.labels = list(labels)
        self.masks = masks
        self.label_namespace = label_namespace
        self.keypoints = keypoints
        self.keypoint_names = list(keypoint_names) if keypoint_names is not None else None
        self.skeleton = [tuple(pair) for pair in skeleton or []]
        self._label_ids: Optional[List[int]] = None
        self._indexed_keypoints: Optional[torch.Tensor] = None

    def count_vocab_items(self, counter: Dict[str, Dict[str, int]]) -> None:
        for label in self.labels:
            counter[self.label_namespace][label] += 1
        for name in self.keypoint_names or []:
            counter[KEYPOINT_NAMESPACE][name] += 1
        for pair in self.skeleton:
            counter[SKELETON_NAMESPACE][json.dumps(list(pair))] += 1

    def index(self, vocab: Vocabulary) -> None:
        self._label_ids = [
            vocab.get_token_index(label, self.label_namespace) + BACKGROUND_OFFSET for label in self.labels
        ]
        if self.keypoints is None or self.keypoint_names is None:
            return
        vocab_names = vocab_keypoint_names(vocab)
        unknown = sorted(set(self.keypoint_names) - set(vocab_names))
        if unknown:
            raise ValueError(
                f"Keypoints {', '.join(unknown)} are not in the vocabulary's {KEYPOINT_NAMESPACE!r} "
                f"namespace ({', '.join(vocab_names)}): the model was not trained on them."
            )
        # (num_boxes, vocabulary's num_keypoints, 3), zero (not labelled) where this image has no such keypoint
        indexed = torch.zeros((len(self.labels), len(vocab_names), 3))
        column = {name: index for index, name in enumerate(self.keypoint_names)}
        for row, name in enumerate(vocab_names):
            if name in column:
                indexed[:, row] = self.keypoints[:, column[name]]
        self._indexed_keypoints = indexed

    def get_padding_lengths(self) -> Dict[str, int]:
        return {}

    def as_tensor(self, padding_lengths: Dict[str, int]) -> BoxTarget:
        if self._label_ids is None:
            raise RuntimeError("BoundingBoxField.index(vocab) must be called before as_tensor.")
        target = {"boxes": self.boxes, "labels": torch.tensor(self._label_ids, dtype=torch.int64)}
        if self._indexed_keypoints is not None:
            target["keypoints"] = self._indexed_keypoints
        if self.masks is not None:
            target["masks"] = self.masks
        return target

    def batch_tensors(self, tensor_list: List[BoxTarget]) -> List[BoxTarget]:  # type: ignore
        return tensor_list

    def empty_field(self) -> "BoundingBoxField":
        field = BoundingBoxField(torch.zeros((0, 4)), [], self.label_namespace)
        field._label_ids = []
        return field

    def __str__(self) -> str:
        with_keypoints = f" with {len(self.keypoint_names)} keypoints each" if self.keypoint_names else ""
        with_masks = " with masks" if self.masks is not None else ""
        return f"BoundingBoxField with {len(self.labels)} boxes{with_keypoints}{with_masks} in namespace {self.label_namespace!r}."

    def __len__(self) -> int:
        return len(self.labels)

    def human_readable_repr(self) -> Dict[str, list]:
        readable = {"boxes": self.boxes.tolist(), "labels": self.labels}
        if self.keypoints is not None:
            readable["keypoints"] = self.keypoints.tolist()
            readable["keypoint_names"] = self.keypoint_names
        if self.masks is not None:
            readable["mask_areas"] = self.masks.sum(dim=(1, 2)).tolist()
        return readable


def vocab_keypoint_names(vocab: Vocabulary) -> List[str]:
    """The keypoint names of `vocab`, in index order: the order of a keypoint model's rows."""
    return [vocab.get_token_from_index(index, KEYPOINT_NAMESPACE) for index in range(vocab.get_vocab_size(KEYPOINT_NAMESPACE))]


def vocab_skeleton(vocab: Vocabulary) -> List[Tuple[str, str]]:
    """The pairs of keypoint names `vocab`'s skeleton joins."""
    pairs = vocab.get_token_to_index_vocabulary(SKELETON_NAMESPACE)
    return [tuple(json.loads(pair)) for pair in pairs]  # type: ignore
