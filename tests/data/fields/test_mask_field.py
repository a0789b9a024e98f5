import pytest
import torch
from allennlp.common.checks import ConfigurationError
from allennlp.data import Batch, Instance, Vocabulary

from allencv.data.fields import ImageField, MaskField


def test_masks_of_different_sizes_are_padded_with_the_ignore_index():
    small = MaskField(torch.tensor([[1, 2], [0, 1]], dtype=torch.uint8))
    large = MaskField(torch.ones((3, 4), dtype=torch.uint8), ignore_index=99)
    batch = Batch([
        Instance({"image": ImageField(torch.zeros((3, 2, 2), dtype=torch.uint8)), "mask": small}),
        Instance({"image": ImageField(torch.zeros((3, 3, 4), dtype=torch.uint8)), "mask": large}),
    ]).as_tensor_dict()
    assert batch["image"].shape == (2, 3, 3, 4)
    mask = batch["mask"]
    assert mask.shape == (2, 3, 4) and mask.dtype == torch.long
    assert mask[0, :2, :2].tolist() == [[1, 2], [0, 1]]
    assert (mask[0, 2:, :] == 255).all() and (mask[0, :, 2:] == 255).all()
    assert (mask[1] == 1).all()


def test_class_names_enter_the_vocabulary_in_index_order():
    names = ["zebra", "apple", "mango"]
    instances = [Instance({"mask": MaskField(torch.zeros((2, 2), dtype=torch.uint8), names)}) for _ in range(3)]
    vocab = Vocabulary.from_instances(instances)
    assert [vocab.get_token_from_index(i, "labels") for i in range(3)] == names
    Batch(instances).index_instances(vocab)


def test_a_vocabulary_in_another_order_is_refused():
    vocab = Vocabulary({"labels": {"apple": 5, "zebra": 1}}, non_padded_namespaces=["labels"])
    field = MaskField(torch.zeros((2, 2), dtype=torch.uint8), ["zebra", "apple"])
    with pytest.raises(ConfigurationError, match="first out of place: 'zebra'"):
        field.index(vocab)


def test_rejects_non_integer_masks():
    with pytest.raises(ValueError, match="integer tensor"):
        MaskField(torch.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"\(height, width\)"):
        MaskField(torch.zeros((1, 2, 2), dtype=torch.uint8))
