import pytest
import torch
from allennlp.data import Batch, Instance, Vocabulary

from allencv.data.fields import BoundingBoxField, ImageField
from allencv.data.fields.bounding_box_field import vocab_keypoint_names, vocab_skeleton


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


def keypoint_instance(names, keypoints, skeleton=()):
    boxes = torch.tensor([[0.0, 0.0, 8.0, 8.0]] * len(keypoints))
    field = BoundingBoxField(boxes, ["person"] * len(keypoints), keypoints=torch.tensor(keypoints), keypoint_names=names, skeleton=skeleton)
    return Instance({"image": ImageField(torch.zeros(3, 8, 8, dtype=torch.uint8)), "boxes": field})


def test_keypoints_are_batched_in_the_vocabulary_order():
    first = keypoint_instance(["nose", "left_eye"], [[[1.0, 2.0, 2.0], [3.0, 4.0, 1.0]]], skeleton=[("nose", "left_eye")])
    # Another image names its keypoints in another order, and lacks one.
    second = keypoint_instance(["right_eye", "nose"], [[[5.0, 6.0, 2.0], [7.0, 8.0, 2.0]]])
    vocab = Vocabulary.from_instances([first, second])
    names = vocab_keypoint_names(vocab)
    assert sorted(names) == ["left_eye", "nose", "right_eye"]
    assert vocab_skeleton(vocab) == [("nose", "left_eye")]
    batch = Batch([first, second])
    batch.index_instances(vocab)
    targets = batch.as_tensor_dict()["boxes"]
    expected = [
        {"nose": [1.0, 2.0, 2.0], "left_eye": [3.0, 4.0, 1.0], "right_eye": [0.0, 0.0, 0.0]},
        {"nose": [7.0, 8.0, 2.0], "left_eye": [0.0, 0.0, 0.0], "right_eye": [5.0, 6.0, 2.0]},
    ]
    for target, by_name in zip(targets, expected):
        assert target["keypoints"].shape == (1, 3, 3)
        assert target["keypoints"][0].tolist() == [by_name[name] for name in names]


def test_keypoints_the_vocabulary_lacks_are_an_error():
    vocab = Vocabulary.from_instances([keypoint_instance(["nose"], [[[1.0, 2.0, 2.0]]])])
    with pytest.raises(ValueError, match="Keypoints tail are not in the vocabulary's 'keypoint_labels' namespace"):
        keypoint_instance(["nose", "tail"], [[[1.0, 2.0, 2.0], [3.0, 4.0, 2.0]]])["boxes"].index(vocab)


def test_keypoints_need_names_and_one_row_per_box():
    with pytest.raises(ValueError, match="both `keypoints` and `keypoint_names`"):
        BoundingBoxField(torch.zeros(1, 4), ["cat"], keypoints=torch.zeros(1, 2, 3))
    with pytest.raises(ValueError, match="keypoints for 2 boxes but 1 labels"):
        BoundingBoxField(torch.zeros(1, 4), ["cat"], keypoints=torch.zeros(2, 2, 3), keypoint_names=["a", "b"])


def test_an_image_without_boxes_still_has_keypoints_for_torchvision():
    vocab = Vocabulary.from_instances([keypoint_instance(["nose", "tail"], [[[1.0, 2.0, 2.0], [3.0, 4.0, 2.0]]])])
    empty = keypoint_instance(["nose", "tail"], torch.zeros(0, 2, 3).tolist())
    empty.index_fields(vocab)
    assert empty["boxes"].as_tensor({})["keypoints"].shape == (0, 2, 3)
