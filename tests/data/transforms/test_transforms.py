import pytest
import torch
from allennlp.common import Params
from allennlp.common.checks import ConfigurationError
from torchvision import tv_tensors

from allencv.data.transforms import ImagePipeline, ImageTransform


def build(config):
    return ImageTransform.from_params(Params(config))


def image(height=40, width=60):
    return tv_tensors.Image(torch.randint(0, 256, (3, height, width), dtype=torch.uint8))


@pytest.mark.parametrize(
    "config, shape",
    [
        ({"type": "resize", "size": 20}, (3, 20, 30)),
        ({"type": "resize", "size": [10, 12]}, (3, 10, 12)),
        ({"type": "center_crop", "size": 16}, (3, 16, 16)),
        ({"type": "random_resized_crop", "size": [8, 12], "scale": [0.5, 1.0]}, (3, 8, 12)),
        ({"type": "horizontal_flip", "p": 1.0}, (3, 40, 60)),
    ],
)
def test_transforms_from_config_keep_uint8(config, shape):
    output = build(config)(image())
    assert tuple(output.shape) == shape
    assert output.dtype == torch.uint8


def test_horizontal_flip_moves_boxes_with_the_image():
    boxes = tv_tensors.BoundingBoxes([[0, 0, 10, 5]], format="XYXY", canvas_size=(40, 60))
    _, flipped = build({"type": "horizontal_flip", "p": 1.0})(image(), boxes)
    assert flipped.tolist() == [[50, 0, 60, 5]]


def test_pipeline_defers_a_final_normalize_to_the_field():
    pipeline = ImagePipeline([build({"type": "resize", "size": 8}), build({"type": "normalize"})])
    field = pipeline.image_field(pipeline(image()))
    assert field.image.dtype == torch.uint8
    assert field.mean == pytest.approx((0.485, 0.456, 0.406))


def test_normalize_called_directly_gives_float():
    output = build({"type": "normalize", "mean": [0.0] * 3, "std": [1.0] * 3})(image())
    assert output.dtype == torch.float32 and output.max() <= 1.0


def test_normalize_must_come_last():
    with pytest.raises(ConfigurationError, match="normalize"):
        ImagePipeline([build({"type": "normalize"}), build({"type": "resize", "size": 8})])
