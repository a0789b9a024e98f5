"""Every resize is bounded: short-side resizes cap the long side, and readers check the transformed size."""
import time

import numpy
import PIL.Image
import pytest
import torch
from allennlp.common.checks import ConfigurationError
from allennlp.data import Vocabulary
from torchvision import tv_tensors

from allencv.data.dataset_readers import ImageClassificationDirectoryReader
from allencv.data.image_loading import ImageLoadError
from allencv.data.transforms import CenterCrop, Resize
from allencv.data.transforms.geometric import MAX_SIZE_RATIO
from allencv.models import BasicImageClassifier
from allencv.modules.im2vec_encoders import FlattenEncoder
from allencv.predictors import ImageClassifierPredictor
from tests.service.conftest import png_bytes
from tests.service.test_app import client_for


def test_a_shorter_side_resize_caps_the_longer_side_by_default():
    thin = tv_tensors.Image(torch.zeros(3, 1, 40000, dtype=torch.uint8))
    assert tuple(Resize(256).transform(thin).shape) == (3, 1, MAX_SIZE_RATIO * 256)
    assert tuple(Resize([256], max_size=300).transform(thin).shape) == (3, 1, 300)
    ordinary = tv_tensors.Image(torch.zeros(3, 30, 40, dtype=torch.uint8))
    assert tuple(Resize(24).transform(ordinary).shape) == (3, 24, 32)


def test_max_size_is_checked():
    with pytest.raises(ConfigurationError, match="shorter-side resize"):
        Resize([10, 12], max_size=20)
    with pytest.raises(ConfigurationError, match="must be larger"):
        Resize(256, max_size=256)


def test_the_pixel_limit_applies_to_the_transformed_image(tmp_path):
    PIL.Image.new("RGB", (10, 10)).save(tmp_path / "small.png")
    reader = ImageClassificationDirectoryReader(transforms=[Resize([100, 100])], max_image_pixels=5000)
    with pytest.raises(ImageLoadError, match="small.png: too large .*100x100 pixels.*max_size"):
        reader.text_to_instance(str(tmp_path / "small.png"))


@pytest.fixture
def thin_png() -> bytes:
    """196 bytes that decode to 1x40000 pixels."""
    return png_bytes(PIL.Image.fromarray(numpy.zeros((1, 40000, 3), dtype=numpy.uint8)))


def short_side_predictor() -> ImageClassifierPredictor:
    """A classifier behind the usual evaluation transforms: shorter side to 64, centre 56 px."""
    vocab = Vocabulary({"labels": {"blue": 1, "red": 1}})
    model = BasicImageClassifier(vocab, FlattenEncoder(3, 56, 56)).eval()
    reader = ImageClassificationDirectoryReader(transforms=[Resize(64), CenterCrop(56)])
    return ImageClassifierPredictor(model, reader)


def test_the_service_answers_a_1x40000_png_at_once(thin_png):
    with client_for(short_side_predictor()) as client:
        start = time.monotonic()
        response = client.post("/predict", files={"image": ("thin.png", thin_png, "image/png")})
        elapsed = time.monotonic() - start
    assert response.status_code == 200, response.text
    assert response.json()["label"] in {"blue", "red"}
    assert elapsed < 1.0


def test_allennlp_predict_inputs_with_a_huge_thin_image_all_get_a_record(tmp_path, thin_png):
    (tmp_path / "thin.png").write_bytes(thin_png)
    PIL.Image.new("RGB", (40, 30)).save(tmp_path / "ordinary.png")
    predictor = short_side_predictor()
    outputs = predictor.predict_batch_json([{"image_path": str(tmp_path / name)} for name in ("thin.png", "ordinary.png")])
    assert [output["image_path"] for output in outputs] == [str(tmp_path / "thin.png"), str(tmp_path / "ordinary.png")]
