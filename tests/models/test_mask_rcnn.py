import pycocotools.mask
import pytest
import torch
from allennlp.common.checks import ConfigurationError
from allennlp.data import Batch, Vocabulary
from torchvision.ops.misc import FrozenBatchNorm2d

from allencv.data.dataset_readers import CocoDetectionReader
from allencv.models import MaskRcnn
from allencv.modules.im2im_encoders import ResnetEncoder
from tests.conftest import write_cached_weights


def tiny_model(vocab: Vocabulary) -> MaskRcnn:
    return MaskRcnn(
        vocab, backbone=ResnetEncoder("resnet18", weights=None, pool=None), fpn_channels=16,
        anchor_sizes=[16, 32, 64, 128, 256], min_size=64, max_size=64, mask_head_channels=[8], rois_per_image=64,
    )


def test_outputs_rle_masks_and_reports_mask_ap(shapes_dataset):
    instances = list(CocoDetectionReader(masks=True).read(str(shapes_dataset / "valid.json")))
    vocab = Vocabulary.from_instances(instances)
    model = tiny_model(vocab)
    # One mask per class, background included.
    assert model._detector.roi_heads.mask_predictor.mask_fcn_logits.out_channels == vocab.get_vocab_size("labels") + 1
    batch = Batch(instances)
    batch.index_instances(vocab)
    model.train()
    model(**batch.as_tensor_dict())
    assert model.get_metrics(reset=True)["loss_mask"] > 0
    model.eval()
    output = model.forward_on_instances(instances)[0]
    assert len(output["masks"]) == len(output["boxes"]) > 0
    for rle in output["masks"]:
        assert rle["size"] == [64, 64] and isinstance(rle["counts"], str)
        assert pycocotools.mask.decode({**rle, "counts": rle["counts"].encode()}).shape == (64, 64)
    metrics = model.get_metrics(reset=True)
    assert {"map", "map_50", "mask_map", "mask_map_50", "mask_map_75", "mask_mar_100"} <= set(metrics)
    assert {name for name in metrics if name.startswith("mask_AP_")} <= {"mask_AP_circle", "mask_AP_square", "mask_AP_triangle"}
    assert all(isinstance(value, float) and 0.0 <= value <= 1.0 for value in metrics.values())


def shapes_vocab() -> Vocabulary:
    return Vocabulary({"labels": {"circle": 3, "square": 2, "triangle": 1}})


def frozen_batch_norm(model: MaskRcnn) -> bool:
    body = model._detector.backbone.body
    return any(isinstance(module, FrozenBatchNorm2d) for module in body.modules()) and not any(
        isinstance(module, torch.nn.BatchNorm2d) for module in body.modules()
    )


def test_coco_mask_weights_by_name_or_from_a_file(torch_home, tmp_path):
    coco = write_cached_weights(torch_home, "maskrcnn_resnet50_fpn", weights_backbone=None)
    model = MaskRcnn(shapes_vocab(), torchvision_model="maskrcnn_resnet50_fpn", weights="DEFAULT", min_size=64, max_size=64)
    heads = model._detector.roi_heads
    assert torch.equal(heads.mask_head[0][0].weight, coco["roi_heads.mask_head.0.0.weight"])
    assert heads.box_predictor.cls_score.out_features == heads.mask_predictor.mask_fcn_logits.out_channels == 4
    assert frozen_batch_norm(model)
    # A local checkpoint: the same weights, and its batch norm frozen too.
    torch.save(coco, tmp_path / "coco.pth")
    from_file = MaskRcnn(shapes_vocab(), torchvision_model="maskrcnn_resnet50_fpn", weights_path=str(tmp_path / "coco.pth"),
                         min_size=64, max_size=64)
    assert torch.equal(from_file._detector.backbone.body.conv1.weight, coco["backbone.body.conv1.weight"])
    assert frozen_batch_norm(from_file)
    assert torch.equal(from_file._detector.backbone.body.bn1.running_var, coco["backbone.body.bn1.running_var"])
    from_file.eval()
    assert from_file(torch.rand(1, 3, 64, 64))["masks"][0].shape[-2:] == (64, 64)


def test_only_mask_rcnn_models_by_name():
    with pytest.raises(ConfigurationError, match="not a MaskRcnn model; choose one of maskrcnn_resnet50_fpn, maskrcnn_resnet50_fpn_v2"):
        MaskRcnn(shapes_vocab(), torchvision_model="fasterrcnn_resnet50_fpn")
