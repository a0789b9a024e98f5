"""A trained archive exported to TorchScript and ONNX predicts what the archive predicts."""
import copy
import json

import numpy
import onnxruntime
import pytest
import torch
from allennlp.commands.train import train_model_from_file
from allennlp.common import Params
from allennlp.common.checks import ConfigurationError
from allennlp.data import Vocabulary
from allennlp.models import Model
from allennlp.models.archival import archive_model, load_archive
from allennlp.predictors import Predictor

from allencv.export import export_archive
from tests.conftest import FIXTURES


@pytest.fixture(scope="module")
def archive_file(colour_folders, tmp_path_factory):
    serialization_dir = tmp_path_factory.mktemp("export") / "model"
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("TRAIN_PATH", str(colour_folders / "train"))
        monkeypatch.setenv("VALIDATION_PATH", str(colour_folders / "valid"))
        train_model_from_file(
            str(FIXTURES / "colour_classifier.jsonnet"), str(serialization_dir),
            overrides=json.dumps({"trainer.num_epochs": 1}),
        )
    return str(serialization_dir / "model.tar.gz")


@pytest.mark.slow  # trains, then exports to TorchScript and ONNX
def test_torchscript_and_onnx_match_the_archive(archive_file, colour_folders, tmp_path):
    paths = export_archive(archive_file, str(tmp_path / "exported"))
    preprocessing = json.loads(paths["preprocessing"].read_text())
    assert preprocessing["labels"] == ["blue", "red"]
    assert preprocessing["input"]["shape"] == ["batch_size", 3, 32, 32]
    assert preprocessing["output"]["activation"] == "softmax"

    predictor = Predictor.from_archive(load_archive(archive_file))
    files = sorted((colour_folders / "valid").glob("*/*"))
    expected = torch.tensor([predictor.predict(path)["probs"] for path in files])
    reader = predictor._dataset_reader
    # The documented preprocessing: the reader's transforms, then pixels / 255.
    images = torch.stack([reader.text_to_instance(path)["image"].image for path in files]).float() / 255

    scripted = torch.jit.load(str(paths["torchscript"]))
    torch.testing.assert_close(scripted(images), expected, atol=1e-5, rtol=1e-4)
    session = onnxruntime.InferenceSession(str(paths["onnx"]), providers=["CPUExecutionProvider"])
    (onnx_probs,) = session.run(["probs"], {"images": images.numpy()})
    numpy.testing.assert_allclose(onnx_probs, expected.numpy(), atol=1e-4)


@pytest.mark.slow  # builds and archives a detector
def test_a_detection_archive_is_refused_naming_the_supported_model_types(tmp_path):
    # It used to end in AttributeError at `label_names()`.
    model_config = {"type": "faster_rcnn", "fpn_channels": 16, "min_size": 64, "max_size": 64,
                    "backbone": {"type": "pretrained_resnet", "resnet_model": "resnet18", "weights": None, "pool": None}}
    config = {"dataset_reader": {"type": "coco_detection"}, "train_data_path": "unused.json", "model": model_config,
              "data_loader": {"batch_size": 1}, "trainer": {"optimizer": "sgd"}}
    vocab = Vocabulary({"labels": {"circle": 1, "square": 1}})
    model = Model.from_params(Params(copy.deepcopy(model_config)), vocab=vocab)
    vocab.save_to_files(str(tmp_path / "vocabulary"))
    torch.save(model.state_dict(), tmp_path / "best.th")
    (tmp_path / "config.json").write_text(json.dumps(config))
    archive_model(str(tmp_path))
    with pytest.raises(ConfigurationError, match="FasterRcnn; export supports classifier archives only.*basic_image_classifier"):
        export_archive(str(tmp_path / "model.tar.gz"), str(tmp_path / "exported"))
