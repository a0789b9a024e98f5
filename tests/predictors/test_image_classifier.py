import base64
import json

import numpy
import PIL.Image
import pytest
from allennlp.data import Vocabulary
from allennlp.predictors import Predictor

from allencv.data.dataset_readers import ImageClassificationDirectoryReader
from allencv.data.image_loading import ImageLoadError
from allencv.data.transforms import Resize
from allencv.models import BasicImageClassifier
from allencv.modules.im2vec_encoders import FlattenEncoder
from allencv.predictors import BadInputError, ImageClassifierPredictor
from allencv.predictors.image_predictor import decode_base64_image
from tests.conftest import colour_image


@pytest.fixture
def predictor():
    vocab = Vocabulary({"labels": {"blue": 1, "red": 1}})
    model = BasicImageClassifier(vocab, FlattenEncoder(3, 8, 8)).eval()
    return ImageClassifierPredictor(model, ImageClassificationDirectoryReader(transforms=[Resize([8, 8])]))


@pytest.fixture
def image_file(tmp_path):
    colour_image((200, 10, 10)).save(tmp_path / "red.png")
    return tmp_path / "red.png"


def test_predicts_from_path_pil_numpy_and_base64(predictor, image_file):
    pil = PIL.Image.open(image_file)
    outputs = [
        predictor.predict(str(image_file)),
        predictor.predict(pil),
        predictor.predict(numpy.asarray(pil)),
        predictor.predict_json({"image_path": str(image_file)}),
        predictor.predict_json({"image": base64.b64encode(image_file.read_bytes()).decode()}),
    ]
    for output in outputs:
        assert output["label"] in {"blue", "red"}
        assert set(output["label_probs"]) == {"blue", "red"}
        assert output["label_probs"] == pytest.approx(outputs[0]["label_probs"], abs=1e-5)
    assert outputs[0]["image_path"] == str(image_file)


def test_bad_json_inputs_get_error_records_naming_them(predictor, tmp_path):
    assert "neither 'image_path' nor 'image'" in predictor.predict_json({"path": "x.png"})["error"]
    assert "not valid base64" in predictor.predict_json({"image": "not base64!"})["error"]
    missing = str(tmp_path / "nope.png")
    assert predictor.predict_json({"image_path": missing}) == {
        "error": f"{missing}: missing (no such file)", "input": {"image_path": missing}
    }
    with pytest.raises(BadInputError, match="base64 string"):
        decode_base64_image(12)


def test_predict_raises_on_an_unusable_image(predictor, tmp_path):
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(ImageLoadError, match="empty.png: empty file"):
        predictor.predict(tmp_path / "empty.png")


def test_a_bad_line_in_a_batch_becomes_an_error_record(predictor, image_file):
    lines = [json.dumps({"image_path": str(image_file)}), "{not json", json.dumps({"image_path": "/no/such.png"})]
    outputs = predictor.predict_batch_json([predictor.load_line(line) for line in lines])
    assert outputs[0]["label"] in {"blue", "red"}
    assert "not a JSON line" in outputs[1]["error"]
    assert "/no/such.png" in outputs[2]["error"] and outputs[2]["input"] == {"image_path": "/no/such.png"}


def test_is_the_models_default_predictor():
    assert BasicImageClassifier.default_predictor == "image_classifier"
    assert Predictor.by_name("image_classifier") is ImageClassifierPredictor
