import pytest
import torch
from allennlp.common.checks import ConfigurationError
from allennlp.data import Vocabulary

from allencv.data.dataset_readers import CocoDetectionReader
from allencv.data.fields.bounding_box_field import KEYPOINT_NAMESPACE
from allencv.models import KeypointRcnn
from allencv.modules.im2im_encoders import ResnetEncoder
from tests.conftest import write_cached_weights

COCO_NAMES = [
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle",
]


def tiny_model(vocab: Vocabulary) -> KeypointRcnn:
    return KeypointRcnn(
        vocab, backbone=ResnetEncoder("resnet18", weights=None, pool=None), fpn_channels=16,
        anchor_sizes=[16, 32, 64, 128, 256], min_size=64, max_size=64, keypoint_head_channels=[8],
    )


@pytest.mark.slow  # a Keypoint R-CNN forward and backward
def test_outputs_named_keypoints_and_reports_keypoint_ap(shapes_dataset):
    instances = list(CocoDetectionReader(keypoints=True).read(str(shapes_dataset / "valid.json")))
    vocab = Vocabulary.from_instances(instances)
    model = tiny_model(vocab)
    assert model.keypoint_names == ["top", "bottom_left", "bottom_right"]
    assert set(model.skeleton) == {("top", "bottom_left"), ("bottom_left", "bottom_right"), ("bottom_right", "top")}
    model.eval()
    output = model.forward_on_instances(instances)[0]
    assert output["keypoint_names"] == model.keypoint_names
    assert sorted(map(sorted, output["keypoint_skeleton"])) == [[0, 1], [0, 2], [1, 2]]
    assert len(output["keypoints"]) == len(output["keypoint_scores"]) == len(output["boxes"]) > 0
    assert all(len(points) == 3 and all(len(point) == 2 for point in points) for points in output["keypoints"])
    metrics = model.get_metrics(reset=True)
    assert {"map_50", "keypoint_map", "keypoint_map_50", "keypoint_map_75", "keypoint_mar"} <= set(metrics)
    assert all(0.0 <= metrics[name] <= 1.0 for name in metrics)


def test_keypoints_are_needed():
    vocab = Vocabulary({"labels": {"person": 1}})
    with pytest.raises(ConfigurationError, match="keypoint_rcnn needs keypoints, but the vocabulary has none"):
        tiny_model(vocab)


@pytest.mark.slow  # builds Keypoint R-CNN twice
def test_coco_keypoint_weights_by_name_follow_the_vocabulary(torch_home):
    coco = write_cached_weights(torch_home, "keypointrcnn_resnet50_fpn", weights_backbone=None)
    # The person keypoints in another order than COCO's: the predictor's rows follow the vocabulary.
    names = sorted(COCO_NAMES)
    vocab = Vocabulary(non_padded_namespaces=["*labels"])
    vocab.add_tokens_to_namespace(["person"], "labels")
    vocab.add_tokens_to_namespace(names, KEYPOINT_NAMESPACE)
    model = KeypointRcnn(vocab, torchvision_model="keypointrcnn_resnet50_fpn", weights="DEFAULT", min_size=64, max_size=64)
    predictor = model._detector.roi_heads.keypoint_predictor.kps_score_lowres
    order = [COCO_NAMES.index(name) for name in names]
    assert torch.equal(predictor.weight, coco["roi_heads.keypoint_predictor.kps_score_lowres.weight"][:, order])
    assert torch.equal(predictor.bias, coco["roi_heads.keypoint_predictor.kps_score_lowres.bias"][order])
    assert model._detector.roi_heads.box_predictor.cls_score.out_features == 2
    # Other keypoints get a new layer of their own size.
    vocab.add_tokens_to_namespace(["tail"], KEYPOINT_NAMESPACE)
    model = KeypointRcnn(vocab, torchvision_model="keypointrcnn_resnet50_fpn", min_size=64, max_size=64)
    assert model._detector.roi_heads.keypoint_predictor.kps_score_lowres.out_channels == 18
