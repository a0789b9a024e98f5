"""The classifiers' predictors with `explain`: a Grad-CAM heatmap and overlay per image."""
import base64
import io

import numpy
import PIL.Image
import pytest
import torch
from allennlp.common.checks import ConfigurationError
from allennlp.data import Vocabulary

from allencv.data.dataset_readers import ImageClassificationDirectoryReader
from allencv.models import BasicImageClassifier, MultiLabelImageClassifier
from allencv.modules.im2im_encoders import ResnetEncoder, SmallCnnEncoder
from allencv.modules.im2vec_encoders import FlattenEncoder, GlobalPoolEncoder
from allencv.predictors import ImageClassifierPredictor, MultiLabelImageClassifierPredictor
from tests.predictors.test_batch_independence import write_image

LABELS = {"labels": {"blue": 1, "green": 1, "red": 1}}


def encoders():
    torch.manual_seed(0)
    return GlobalPoolEncoder(16), SmallCnnEncoder([8, 16], convs_per_stage=1)


@pytest.fixture
def classifier():
    return BasicImageClassifier(Vocabulary(LABELS), *encoders()).eval()


def decode(png: str) -> numpy.ndarray:
    return numpy.asarray(PIL.Image.open(io.BytesIO(base64.b64decode(png))))


def test_explain_adds_the_top_labels_heatmap_and_overlay(classifier, tmp_path):
    predictor = ImageClassifierPredictor(
        classifier, ImageClassificationDirectoryReader(), explain=True, overlay_dir=str(tmp_path / "cams")
    )
    path = write_image(tmp_path / "image.png", 40, 48, seed=0)
    output = predictor.predict_json({"image_path": path})
    assert output["explained_label"] == output["label"]
    heatmap = decode(output["heatmap"])
    assert heatmap.shape == (40, 48) and heatmap.dtype == numpy.uint8 and heatmap.max() == 255
    overlay = decode(output["cam_overlay"])
    assert overlay.shape == (40, 48, 3)
    # The overlay is the image blended with the colour-mapped CAM: neither of them alone.
    image = numpy.asarray(PIL.Image.open(path))
    assert 0 < numpy.abs(overlay.astype(int) - image).mean() < 128
    assert output["overlay_path"].startswith(str(tmp_path / "cams")) and output["overlay_path"].endswith("image_cam.png")
    assert (decode(base64.b64encode(open(output["overlay_path"], "rb").read())) == overlay).all()
    assert "heatmap" not in ImageClassifierPredictor(classifier, ImageClassificationDirectoryReader()).predict(path)


def test_heatmaps_are_independent_of_batchmates_and_of_inference_mode(classifier, tmp_path):
    predictor = ImageClassifierPredictor(classifier, ImageClassificationDirectoryReader(), explain=True)
    image = {"image_path": write_image(tmp_path / "image.png", 40, 48, seed=0)}
    wide = {"image_path": write_image(tmp_path / "wide.png", 32, 96, seed=1)}
    other = {"image_path": write_image(tmp_path / "other.png", 40, 48, seed=2)}
    alone = decode(predictor.predict_json(image)["heatmap"]).astype(int)
    batch = predictor.predict_batch_json([wide, image, other])
    assert numpy.abs(decode(batch[1]["heatmap"]) - alone).max() <= 1
    assert numpy.abs(decode(batch[2]["heatmap"]) - alone).mean() > 5  # another image, another map
    with torch.inference_mode():  # as the service's batcher predicts
        served = predictor.predict_json(image)
    assert numpy.abs(decode(served["heatmap"]) - alone).max() <= 1


def test_the_multi_label_predictor_explains_its_most_probable_label(tmp_path):
    model = MultiLabelImageClassifier(Vocabulary(LABELS), *encoders()).eval()
    predictor = MultiLabelImageClassifierPredictor(model, ImageClassificationDirectoryReader(), explain=True)
    output = predictor.predict(write_image(tmp_path / "image.png", 32, 32, seed=3))
    assert output["explained_label"] == max(output["label_probs"], key=output["label_probs"].get)
    assert decode(output["heatmap"]).shape == (32, 32)


def test_explain_needs_an_im2im_encoder_and_overlay_dir_needs_explain(classifier):
    flatten_only = BasicImageClassifier(Vocabulary(LABELS), FlattenEncoder(3, 8, 8))
    with pytest.raises(ConfigurationError, match="im2im_encoder"):
        ImageClassifierPredictor(flatten_only, ImageClassificationDirectoryReader(), explain=True)
    pooled = BasicImageClassifier(Vocabulary(LABELS), FlattenEncoder(512, 1, 1), ResnetEncoder("resnet18", weights=None))
    with pytest.raises(ConfigurationError, match="pools its feature map to 1x1"):
        ImageClassifierPredictor(pooled, ImageClassificationDirectoryReader(), explain=True)
    with pytest.raises(ConfigurationError, match='"explain": true'):
        ImageClassifierPredictor(classifier, ImageClassificationDirectoryReader(), overlay_dir="cams")
