import pytest
import torch
from allennlp.data import Batch, Instance, Vocabulary

from allencv.data.fields import BoundingBoxField, ImageField


def instance(boxes, labels):
    return Instance({"image": ImageField(torch.zeros(3, 8, 8, dtype=torch.uint8)), "boxes": BoundingBoxField(boxes, labels)})


def test_batches_as_torchvision_targets_with_background_zero():
    instances = [
        instance(torch.tensor([[0.0, 1.0, 4.0, 5.0], [2.0, 2.0, 6.0, 7.0]]), ["cat", "dog"]),
        instance(torch.zeros((0, 4)), []),  # an image without objects
    ]
    vocab = Vocabulary.from_instances(instances)
    batch = Batch(instances)
    batch.index_instances(vocab)
    targets = batch.as_tensor_dict()["boxes"]
    assert isinstance(targets, list) and len(targets) == 2
    assert targets[0]["boxes"].dtype == torch.float32 and targets[0]["boxes"].shape == (2, 4)
    cat, dog = (vocab.get_token_index(name, "labels") + 1 for name in ("cat", "dog"))
    assert targets[0]["labels"].tolist() == [cat, dog] and 0 not in (cat, dog)
    assert targets[1]["boxes"].shape == (0, 4) and targets[1]["labels"].shape == (0,)


def test_boxes_and_labels_must_match():
    with pytest.raises(ValueError, match="2 boxes but 1 labels"):
        BoundingBoxField(torch.zeros(2, 4), ["cat"])
