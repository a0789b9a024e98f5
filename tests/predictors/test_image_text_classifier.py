import base64
import json

import pytest
from allennlp.common import Params
from allennlp.data import Vocabulary
from allennlp.models import Model

from allencv.data.dataset_readers import ImageTextManifestReader
from allencv.data.transforms import Resize
from allencv.predictors import ImageTextClassifierPredictor
from tests.conftest import REPO_ROOT, colour_image, run
from tests.models.test_image_text_classifier import SMALL


@pytest.fixture
def predictor():
    vocab = Vocabulary({"labels": {"match": 1, "mismatch": 1}})
    vocab.add_tokens_to_namespace(["red", "circle"], "tokens")
    model = Model.from_params(vocab=vocab, params=Params({
        "type": "image_text_classifier",
        "im2vec_encoder": {"type": "flatten", "input_channels": 3, "input_height": 8, "input_width": 8},
        "text_field_embedders": {"text": {"token_embedders": {"tokens": {"type": "embedding", "embedding_dim": 4}}}},
        "seq2vec_encoders": {"text": {"type": "boe", "embedding_dim": 4}},
    })).eval()
    return ImageTextClassifierPredictor(model, ImageTextManifestReader(transforms=[Resize([8, 8])]))


@pytest.fixture
def image_file(tmp_path):
    colour_image((200, 10, 10)).save(tmp_path / "red.png")
    return tmp_path / "red.png"


def test_predicts_from_python_and_json_and_the_text_matters(predictor, image_file):
    encoded = base64.b64encode(image_file.read_bytes()).decode()
    outputs = [
        predictor.predict(str(image_file), "red circle"),
        predictor.predict_json({"image_path": str(image_file), "text": "red circle"}),
        predictor.predict_json({"image": encoded, "text": {"text": "red circle"}}),
        predictor.predict_batch([str(image_file)], ["red circle"])[0],
    ]
    for output in outputs:
        assert output["label"] in {"match", "mismatch"}
        assert output["label_probs"] == pytest.approx(outputs[0]["label_probs"], abs=1e-5)
    assert predictor.predict(str(image_file), "")["label_probs"] != pytest.approx(outputs[0]["label_probs"], abs=1e-6)


def test_bad_inputs_get_error_records(predictor, image_file):
    assert "no 'text'" in predictor.predict_json({"image_path": str(image_file)})["error"]
    assert "must be a string" in predictor.predict_json({"image_path": str(image_file), "text": 3})["error"]
    assert "must be a string" in predictor.predict_json({"image_path": str(image_file), "text": {"title": "x"}})["error"]
    assert "neither 'image_path' nor 'image'" in predictor.predict_json({"text": "red"})["error"]
    lines = [predictor.load_line("{not json"), {"image_path": str(image_file), "text": "red"}]
    outputs = predictor.predict_batch_json(lines)
    assert "not a JSON line" in outputs[0]["error"] and outputs[1]["label"] in {"match", "mismatch"}


@pytest.mark.slow  # subprocess training
def test_train_then_predict_one_record_per_line(caption_match_manifests, tmp_path):
    env = {"TRAIN_PATH": str(caption_match_manifests["train"]), "VALIDATION_PATH": str(caption_match_manifests["valid"])}
    run(["train", str(REPO_ROOT / "training_config" / "image_text_classifier.jsonnet"), "-s", str(tmp_path / "run"),
         "-o", SMALL, "--include-package", "allencv"], env=env)
    rows = [json.loads(line) for line in caption_match_manifests["valid"].read_text().splitlines()[:2]]
    folder = caption_match_manifests["valid"].parent
    lines = [json.dumps({"image_path": str(folder / row["path"]), "text": row["caption"]}) for row in rows]
    lines += [json.dumps({"image_path": str(folder / rows[0]["path"])}), "{not json"]
    (tmp_path / "input.jsonl").write_text("\n".join(lines) + "\n")
    run(["predict", str(tmp_path / "run" / "model.tar.gz"), str(tmp_path / "input.jsonl"), "--output-file",
         str(tmp_path / "out.jsonl"), "--batch-size", "2", "--silent", "--include-package", "allencv"])
    outputs = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert len(outputs) == 4
    assert all(output["label"] in {"match", "mismatch"} for output in outputs[:2])
    assert "no 'text'" in outputs[2]["error"] and "error" in outputs[3]
