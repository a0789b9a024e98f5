import base64
import io
import json

import numpy
import PIL.Image
import pytest
import torch
from allennlp.common.checks import ConfigurationError
from allennlp.data import Vocabulary
from allennlp.predictors import Predictor
from pycocotools import mask as coco_mask

from allencv.data.dataset_readers import SemanticSegmentationDirectoryReader
from allencv.data.transforms import Resize
from allencv.models import SemanticSegmentation, TorchvisionSegmentation
from allencv.modules.im2im_encoders import ResnetEncoder
from allencv.predictors import SemanticSegmentationPredictor

CLASSES = ["background", "circle", "square", "triangle"]


class HalfAndHalf(SemanticSegmentation):
    """Predicts `square` on the left half of the (transformed) image and `background` elsewhere."""

    def compute_logits(self, image):
        logits = torch.zeros(image.shape[0], len(CLASSES), *image.shape[-2:])
        logits[:, 0] = 1.0
        logits[:, 2, :, : image.shape[-1] // 2] = 2.0
        return {"logits": logits}


@pytest.fixture
def vocab():
    return Vocabulary({"labels": {name: 4 - i for i, name in enumerate(CLASSES)}}, non_padded_namespaces=["labels"])


@pytest.fixture
def model(vocab):
    return TorchvisionSegmentation(vocab, "lraspp_mobilenet_v3_large", weights=None, weights_backbone=None).eval()


@pytest.fixture
def half_and_half(vocab):
    return HalfAndHalf(vocab, ResnetEncoder("resnet18", weights=None, pool=None)).eval()


def make_predictor(model, **kwargs):
    reader = SemanticSegmentationDirectoryReader(class_names=CLASSES, transforms=[Resize([16, 16])])
    return SemanticSegmentationPredictor(model, reader, **kwargs)


@pytest.fixture
def image_file(tmp_path):
    PIL.Image.fromarray(numpy.random.default_rng(0).integers(0, 255, (24, 40, 3), dtype=numpy.uint8)).save(tmp_path / "x.png")
    return tmp_path / "x.png"


def decode_png(data):
    return PIL.Image.open(io.BytesIO(base64.b64decode(data)))


def test_png_mask_at_the_original_size_with_class_names(half_and_half, image_file):
    predictor = make_predictor(half_and_half)
    output = predictor.predict_json({"image_path": str(image_file)})
    mask = decode_png(output["mask"])
    assert mask.mode == "P" and mask.size == (40, 24)  # the input's size, not the model's 16x16
    labels = numpy.asarray(mask)
    assert (labels[:, :20] == 2).all() and (labels[:, 20:] == 0).all()
    assert output["classes_present"] == ["background", "square"]
    assert output["class_pixels"] == {"background": 480, "square": 480}
    assert output["class_names"] == CLASSES and output["image_path"] == str(image_file)
    assert "logits" not in output and "overlay" not in output


def test_rle_masks_decode_with_pycocotools(half_and_half, image_file):
    predictor = make_predictor(half_and_half, mask_format="rle")
    output = predictor.predict(str(image_file))
    assert set(output["mask"]) == {"background", "square"}
    square = coco_mask.decode({**output["mask"]["square"], "counts": output["mask"]["square"]["counts"].encode()})
    assert square.shape == (24, 40) and square[:, :20].all() and not square[:, 20:].any()


def test_overlay_draws_the_classes_on_the_original_image(half_and_half, image_file):
    predictor = make_predictor(half_and_half, overlay=True, alpha=1.0)
    encoded = base64.b64encode(image_file.read_bytes()).decode()
    for output in (predictor.predict_json({"image": encoded}), predictor.predict(PIL.Image.open(image_file))):
        overlay = numpy.asarray(decode_png(output["overlay"]))
        assert overlay.shape == (24, 40, 3)
        # Fully opaque: the left half is VOC's colour of class 2 (square), the right class 0's.
        assert (overlay[:, :20] == (0, 128, 0)).all() and (overlay[:, 20:] == (0, 0, 0)).all()


def test_a_real_model_and_error_records_in_a_batch(model, image_file):
    predictor = make_predictor(model)
    lines = [json.dumps({"image_path": str(image_file)}), "{oops", json.dumps({"image_path": "/no/such.png"})]
    outputs = predictor.predict_batch_json([predictor.load_line(line) for line in lines])
    assert decode_png(outputs[0]["mask"]).size == (40, 24)
    assert set(outputs[0]["classes_present"]) <= set(CLASSES)
    assert "not a JSON line" in outputs[1]["error"] and "/no/such.png" in outputs[2]["error"]


def test_options_are_checked_and_it_is_the_default_predictor(model):
    with pytest.raises(ConfigurationError, match="mask_format must be one of"):
        make_predictor(model, mask_format="jpeg")
    assert TorchvisionSegmentation.default_predictor == "semantic_segmentation"
    assert Predictor.by_name("semantic_segmentation") is SemanticSegmentationPredictor



def test_overlay_in_a_batch(half_and_half, image_file, tmp_path):
    # `predict_batch` (the service's /predict_batch) used to end in KeyError: 'original_image'.
    PIL.Image.new("RGB", (20, 12)).save(tmp_path / "small.png")
    predictor = make_predictor(half_and_half, overlay=True, alpha=1.0)
    encoded = base64.b64encode(image_file.read_bytes()).decode()
    small = str(tmp_path / "small.png")
    for outputs in (predictor.predict_batch_json([{"image": encoded}, {"image_path": small}]),
                    predictor.predict_batch([PIL.Image.open(image_file), small])):
        assert [decode_png(output["overlay"]).size for output in outputs] == [(40, 24), (20, 12)]
        assert (numpy.asarray(decode_png(outputs[0]["overlay"]))[:, :20] == (0, 128, 0)).all()


def test_overlay_dir_writes_pngs_with_a_legend_and_no_base64(half_and_half, image_file, tmp_path):
    predictor = make_predictor(half_and_half, overlay_dir=str(tmp_path / "overlays"), alpha=1.0)
    output = predictor.predict_json({"image_path": str(image_file)})
    assert "overlay" not in output and output["overlay_path"] == str(tmp_path / "overlays" / "00000_x.png")
    drawn = numpy.asarray(PIL.Image.open(output["overlay_path"]).convert("RGB"))
    # The overlay on top, then a legend row per class present: background (black), square (green).
    assert (drawn[:24, :20] == (0, 128, 0)).all() and (drawn[:24, 20:40] == (0, 0, 0)).all()
    legend = drawn[24:]
    assert legend.shape[0] == 2 * 16 + 4 and (legend == (255, 255, 255)).all(axis=-1).mean() > 0.5
    first_row, second_row = legend[2:18], legend[18:34]
    assert ((first_row[:, 5:16] == (0, 0, 0)).all(axis=-1)).sum() >= 100  # background's swatch
    assert ((second_row[:, 5:16] == (0, 128, 0)).all(axis=-1)).sum() >= 100  # square's swatch
    assert (legend[:, 20:] < 128).any(axis=-1).sum() > 20  # the class names, in black


def test_predict_on_the_terminal_shortens_base64(half_and_half, image_file, tmp_path, capsys):
    from allencv.commands.predict import LinePreservingPredictManager

    predictor = make_predictor(half_and_half, overlay=True)
    (tmp_path / "in.jsonl").write_text(json.dumps({"image_path": str(image_file)}) + "\n")
    manager = LinePreservingPredictManager(predictor, str(tmp_path / "in.jsonl"), str(tmp_path / "out.jsonl"), 1, True, False)
    manager.run()
    printed = capsys.readouterr().out
    written = json.loads((tmp_path / "out.jsonl").read_text())
    assert len(written["overlay"]) > 500 and written["overlay"] not in printed  # whole in the file only
    assert "characters; whole in --output-file)" in printed and len(printed) < 2000
