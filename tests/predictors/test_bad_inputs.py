"""
Every kind of bad prediction input gets an error naming it, through `allennlp predict` (one error
record per bad line, in the line's place) and through the Python predictor.
"""
import base64
import json
import os
import subprocess
import sys

import pytest
import torch
from allennlp.common import Params
from allennlp.data import Vocabulary
from allennlp.models import Model
from allennlp.models.archival import archive_model
from allennlp.predictors import Predictor

from allencv.data.image_loading import ImageLoadError
from tests.conftest import FIXTURES, REPO_ROOT, colour_image
from tests.nasty_folder import png_header_only


@pytest.fixture(scope="module")
def archive(colour_folders, tmp_path_factory):
    """An (untrained) colour classifier archived the way `allennlp train` archives it."""
    serialization_dir = tmp_path_factory.mktemp("archive")
    data = {"TRAIN_PATH": str(colour_folders / "train"), "VALIDATION_PATH": str(colour_folders / "valid")}
    params = Params.from_file(str(FIXTURES / "colour_classifier.jsonnet"), ext_vars=data)
    params.to_file(str(serialization_dir / "config.json"))
    vocab = Vocabulary({"labels": {"blue": 1, "red": 1}}, non_padded_namespaces=["labels"])
    vocab.save_to_files(str(serialization_dir / "vocabulary"))
    model = Model.from_params(vocab=vocab, params=params.pop("model"))
    torch.save(model.state_dict(), serialization_dir / "best.th")
    archive_model(str(serialization_dir))
    return serialization_dir / "model.tar.gz"


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """Each kind of input line, and what its output must contain."""
    folder = tmp_path_factory.mktemp("inputs")
    colour_image((220, 40, 30)).save(folder / "good.png")
    (folder / "text.jpg").write_text("not an image")
    (folder / "huge.png").write_bytes(png_header_only(20_000, 20_000))
    good_base64 = base64.b64encode((folder / "good.png").read_bytes()).decode()
    return [
        (json.dumps({"image_path": str(folder / "good.png")}), "label"),
        (json.dumps({"image_path": str(folder / "missing.png")}), f"{folder / 'missing.png'}: missing"),
        (json.dumps({"image_path": str(folder)}), f"{folder}: not a file"),
        (json.dumps({"image_path": str(folder / "text.jpg")}), f"{folder / 'text.jpg'}: not an image"),
        (json.dumps({"image_path": str(folder / "huge.png")}), f"{folder / 'huge.png'}: too large"),
        (json.dumps({"image": "bm90IGFuIGltYWdl!!"}), "'image' is not valid base64"),
        (json.dumps({"image": base64.b64encode(b"not an image").decode()}), "<image bytes>: not an image"),
        (json.dumps({"path": "good.png"}), "neither 'image_path' nor 'image' (base64); its keys are ['path']"),
        ("{not json", "not a JSON line"),
        ("[1, 2]", "expected a JSON object"),
        ("", "blank line"),
        ("   \t ", "blank line"),
        ('{"image_path": ' + "7" * 4301 + "}", "not a JSON line (ValueError: Exceeds the limit (4300 digits)"),
        ("9" * 5000, "not a JSON line (ValueError: Exceeds the limit"),
        ("[" * 100_000 + "]" * 100_000, "not a JSON line (RecursionError"),
        ('"just a string"', "expected a JSON object"),
        ("null", "expected a JSON object"),
        (json.dumps({"image_path": None}), "'image_path' must be a string, got NoneType"),
        (json.dumps({"image_path": "a\u0000b.png"}), r"a\x00b.png: unreadable (ValueError: embedded null byte)"),
        (json.dumps({"image_path": "x" * 5000}), ": unreadable (OSError"),
        ('\udcff{"image_path": 1}', "not a JSON line"),  # the invalid UTF-8 byte 0xff, see below
        (json.dumps({"image": good_base64}), "label"),
    ]


def write_lines(path, lines):
    """Writes `lines`, one per line, with a lone surrogate written as the invalid byte it stands for."""
    path.write_bytes(b"".join(line.encode("utf-8", "surrogateescape") + b"\n" for line in lines))


@pytest.mark.slow  # an allennlp predict subprocess
def test_allennlp_predict_writes_an_error_record_in_place_of_each_bad_line(archive, inputs, tmp_path):
    write_lines(tmp_path / "input.jsonl", [line for line, _ in inputs])
    result = subprocess.run(
        [sys.executable, "-m", "allennlp", "predict", str(archive), str(tmp_path / "input.jsonl"),
         "--output-file", str(tmp_path / "output.jsonl"), "--batch-size", "4", "--silent",
         "--include-package", "allencv"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    outputs = [json.loads(line) for line in (tmp_path / "output.jsonl").read_text().splitlines()]
    assert len(outputs) == len(inputs)
    for output, (line, expected) in zip(outputs, inputs):
        if expected == "label":
            assert output["label"] in {"blue", "red"} and "error" not in output, line
        else:
            assert expected in output["error"], (line, output)
            assert "input" in output


@pytest.fixture(scope="module")
def predictor(archive):
    return Predictor.from_path(str(archive))


def test_the_python_predictor_returns_the_same_records(predictor, inputs):
    lines = [line.encode("utf-8", "surrogateescape").decode("utf-8", "replace") for line, _ in inputs]
    outputs = predictor.predict_batch_json([predictor.load_line(line) for line in lines])
    for output, (line, expected) in zip(outputs, inputs):
        assert expected in (output["error"] if expected != "label" else output), line


@pytest.mark.parametrize("name, category", [("missing.png", "missing"), ("", "not a file"),
                                            ("text.jpg", "not an image"), ("huge.png", "too large")])
def test_predict_on_a_bad_image_raises_naming_it(predictor, inputs, name, category):
    folder = json.loads(inputs[0][0])["image_path"].rsplit("/", 1)[0]
    path = os.path.join(folder, name) if name else folder
    with pytest.raises(ImageLoadError) as info:
        predictor.predict(path)
    assert info.value.category == category and info.value.source == path.rstrip("/")
