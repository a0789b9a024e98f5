"""A prediction does not depend on the other images of its batch, for every kind of model."""
import numpy
import PIL.Image
import pytest
from allennlp.common import Params
from allennlp.data import DatasetReader, Vocabulary
from allennlp.models import Model
from allennlp.predictors import Predictor

import allencv  # noqa: F401  (registers the models and readers)
from tests.conftest import REPO_ROOT, write_cached_weights

#: The shipped config of each kind of model, its vocabulary, and a reader that keeps image sizes.
KINDS = {
    "classification": ("digits_classifier.jsonnet", {"labels": ["0", "1", "2"]},
                       {"type": "image_classification_directory", "transforms": [{"type": "normalize"}]}),
    "multi_label": ("multi_label_classifier.jsonnet", {"labels": ["blue", "green", "red"]},
                    {"type": "image_manifest", "multi_label": True, "transforms": [{"type": "normalize"}]}),
    "detection": ("faster_rcnn.jsonnet", {"labels": ["circle", "square"]}, {"type": "coco_detection"}),
    "segmentation": ("semantic_segmentation.jsonnet", {"labels": ["background", "shape"]},
                     {"type": "semantic_segmentation_directory", "class_names": ["background", "shape"],
                      "transforms": [{"type": "normalize"}]}),
}


def write_image(path, height, width, seed):
    pixels = numpy.random.default_rng(seed).integers(0, 255, (height, width, 3), dtype=numpy.uint8)
    PIL.Image.fromarray(pixels).save(path)
    return str(path)


def assert_close(alone, in_batch, where="output"):
    if isinstance(alone, dict):
        assert alone.keys() == in_batch.keys(), where
        for key in alone:
            assert_close(alone[key], in_batch[key], f"{where}[{key!r}]")
    elif isinstance(alone, list):
        assert len(alone) == len(in_batch), where
        for index, (first, second) in enumerate(zip(alone, in_batch)):
            assert_close(first, second, f"{where}[{index}]")
    elif isinstance(alone, float):
        assert in_batch == pytest.approx(alone, abs=1e-5), where
    else:
        assert alone == in_batch, where


@pytest.mark.slow  # builds and runs a model per kind
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_same_image_alone_and_beside_a_wide_and_a_tall_image(kind, tmp_path, torch_home, monkeypatch):
    config, labels, reader_params = KINDS[kind]
    write_cached_weights(torch_home, "resnet18")
    monkeypatch.setenv("TRAIN_PATH", str(tmp_path))
    monkeypatch.setenv("VALIDATION_PATH", str(tmp_path))
    model_params = Params.from_file(str(REPO_ROOT / "training_config" / config)).pop("model")
    vocab = Vocabulary({namespace: dict.fromkeys(names, 1) for namespace, names in labels.items()})
    model = Model.from_params(vocab=vocab, params=model_params).eval()
    reader = DatasetReader.from_params(Params(reader_params))
    predictor = Predictor.by_name(model.default_predictor)(model, reader)
    if kind == "detection":
        predictor.score_threshold = 0.0
    image = {"image_path": write_image(tmp_path / "image.png", 40, 48, seed=0)}
    wide = {"image_path": write_image(tmp_path / "wide.png", 32, 256, seed=1)}
    tall = {"image_path": write_image(tmp_path / "tall.png", 256, 32, seed=2)}
    alone = predictor.predict_batch_json([image])[0]
    in_batch = predictor.predict_batch_json([wide, image, tall])[1]
    assert "error" not in alone
    assert_close(alone, in_batch)
