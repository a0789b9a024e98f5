import os

import pytest
import torch
import torchvision
from allennlp.common.testing.distributed_test import run_distributed_test
from allennlp.common.checks import ConfigurationError
from allennlp.data import Vocabulary

from allencv.models import FasterRcnn, Fcos, Retinanet
from allencv.modules.im2im_encoders import ResnetEncoder
from tests.conftest import FIXTURES
from tests.vision_model_test_case import VisionModelTestCase

FAMILIES = ["faster_rcnn", "retinanet", "fcos", "keypoint_rcnn", "mask_rcnn"]


class TestObjectDetectors(VisionModelTestCase):
    @pytest.fixture(autouse=True, params=FAMILIES)
    def data(self, request, shapes_dataset, monkeypatch):
        monkeypatch.setenv("DETECTOR", request.param)
        monkeypatch.setenv("TRAIN_PATH", str(shapes_dataset / "train.json"))
        monkeypatch.setenv("VALIDATION_PATH", str(shapes_dataset / "valid.json"))
        self.param_file = FIXTURES / "shapes_detector.jsonnet"
        self.set_up_model(self.param_file, shapes_dataset / "train.json")

    @pytest.mark.slow  # trains, saves and loads through allennlp's train_model_from_file
    def test_can_train_save_and_load(self):
        self.ensure_model_can_train_save_and_load(self.param_file)

    @pytest.mark.slow  # a detector's training and evaluation step
    def test_losses_and_coco_metrics(self):
        self.model.train()
        self.model(**self.dataset.as_tensor_dict())
        losses = self.model.get_metrics(reset=True)
        assert losses and all(name.startswith("loss_") for name in losses)
        self.model.eval()
        output = self.model.forward_on_instances(self.instances[:2])[0]
        assert {"boxes", "scores", "labels", "label_ids", "image_path"} <= set(output)
        assert set(output["labels"]) <= {"circle", "square", "triangle"}
        metrics = self.model.get_metrics(reset=True)
        assert {"map", "map_50", "map_75", "mar_100"} <= set(metrics)
        assert all(0.0 <= metrics[name] <= 1.0 for name in metrics)


def shapes_vocab():
    return Vocabulary({"labels": {"circle": 3, "square": 2, "triangle": 1}})


def test_num_classes_is_the_vocabulary_plus_background():
    model = FasterRcnn(shapes_vocab(), backbone=ResnetEncoder("resnet18", weights=None, pool=None), fpn_channels=16)
    assert model.num_classes == 4
    assert model._detector.roi_heads.box_predictor.cls_score.out_features == 4


def test_backbone_or_torchvision_model_not_both():
    with pytest.raises(ConfigurationError, match="either a `backbone`"):
        Retinanet(shapes_vocab())


def test_anchor_sizes_must_match_the_pyramid():
    with pytest.raises(ConfigurationError, match="anchor_sizes has 2 sizes but the feature pyramid has 5 levels"):
        Fcos(shapes_vocab(), backbone=ResnetEncoder("resnet18", weights=None, pool=None), anchor_sizes=[8, 16])


def test_torchvision_detection_weights_by_name(torch_home):
    # torchvision's COCO weights, as its weights API finds them in the (test's own) cache.
    name = "fasterrcnn_mobilenet_v3_large_320_fpn"
    torch.manual_seed(0)
    coco_model = torchvision.models.get_model(name, weights=None, weights_backbone=None)
    url = torchvision.models.get_model_weights(name).DEFAULT.url
    torch.save(coco_model.state_dict(), torch_home / "hub" / "checkpoints" / os.path.basename(url))
    model = FasterRcnn(shapes_vocab(), torchvision_model=name, weights="DEFAULT", min_size=64, max_size=64)
    detector = model._detector
    assert torch.equal(detector.backbone.body["0"][0].weight, coco_model.backbone.body["0"][0].weight)
    assert detector.roi_heads.box_predictor.cls_score.out_features == 4  # resized to the vocabulary
    model.eval()
    assert len(model(torch.rand(1, 3, 64, 64))["boxes"]) == 1
    with pytest.raises(ConfigurationError, match="not a Retinanet model; choose one of retinanet_resnet50_fpn"):
        Retinanet(shapes_vocab(), torchvision_model=name)


def training_losses(image_seed: int) -> dict:
    """The per-loss metrics of one training batch (one 64x64 image with one box), seeded."""
    torch.manual_seed(0)
    model = FasterRcnn(shapes_vocab(), backbone=ResnetEncoder("resnet18", weights=None, pool=None),
                       fpn_channels=16, min_size=64, max_size=64)
    model.train()
    torch.manual_seed(image_seed)
    image = torch.rand(1, 3, 64, 64)
    model(image, boxes=[{"boxes": torch.tensor([[8.0, 8.0, 40.0, 40.0]]), "labels": torch.tensor([image_seed % 3 + 1])}])
    return model


def track_one_batch_each(rank: int, world_size: int, device: int, expected: dict) -> None:
    assert training_losses(rank).get_metrics(reset=True) == pytest.approx(expected, rel=1e-4)


@pytest.mark.slow
def test_distributed_processes_report_every_processs_losses():
    alone = [training_losses(seed).get_metrics(reset=True) for seed in (0, 1)]
    expected = {name: (alone[0][name] + alone[1][name]) / 2 for name in alone[0]}
    assert expected != pytest.approx(alone[0], rel=1e-4)
    # Spawned, not forked: a fork after this process's convolutions can hang in OpenMP.
    run_distributed_test([-1, -1], track_one_batch_each, expected, start_method="spawn")
