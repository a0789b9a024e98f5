"""
The user's path: `allennlp train`, then `evaluate`, then `predict`, as subprocesses (in-process
where only the files they write are checked: `run_in_process`).
"""
import json
import re

import PIL.Image
import pytest

from tests.conftest import FIXTURES, run, run_in_process

pytestmark = pytest.mark.slow  # subprocess training through `allennlp train/evaluate/predict`


@pytest.fixture(scope="module")
def trained(colour_folders, tmp_path_factory):
    """A model trained with the seed's four --include-package modules."""
    serialization_dir = tmp_path_factory.mktemp("cli") / "model"
    env = {"TRAIN_PATH": str(colour_folders / "train"), "VALIDATION_PATH": str(colour_folders / "valid")}
    includes = ["allencv.data.dataset_readers", "allencv.modules.im2im_encoders",
                "allencv.models.basic_classifier", "allencv.modules.im2vec_encoders"]
    result = run(["train", str(FIXTURES / "colour_classifier.jsonnet"), "-s", str(serialization_dir)]
                 + [arg for module in includes for arg in ("--include-package", module)], env=env)
    return serialization_dir, result


def test_train_skips_and_reports_the_corrupt_file(trained):
    serialization_dir, result = trained
    assert (serialization_dir / "model.tar.gz").exists()
    log = result.stdout + result.stderr
    assert "Skipped 1 file(s)" in log and "broken.jpg" in log
    metrics = json.loads((serialization_dir / "metrics.json").read_text())
    assert metrics["epoch"] == 1 and "validation_accuracy" in metrics


def test_evaluate_writes_flat_metrics_and_the_confusion_matrix(trained, colour_folders, tmp_path):
    serialization_dir, _ = trained
    output = tmp_path / "metrics.json"
    run_in_process(["evaluate", str(serialization_dir / "model.tar.gz"), str(colour_folders / "valid"),
                    "--output-file", str(output), "--include-package", "allencv"])
    metrics = json.loads(output.read_text())
    confusion = metrics.pop("confusion_matrix")
    assert sorted(confusion["labels"]) == ["blue", "red"] and sum(map(sum, confusion["counts"])) == 8
    assert all(isinstance(value, float) for value in metrics.values())
    assert 0.0 <= metrics["accuracy"] <= 1.0 and "loss" in metrics
    assert {"precision_blue", "recall_blue", "f1_blue", "precision_red", "recall_red", "f1_red"} <= set(metrics)
    assert 0.0 <= metrics["macro_f1"] <= 1.0 and 0.0 <= metrics["weighted_f1"] <= 1.0


def test_evaluate_without_an_output_file_prints_the_metrics_table(trained, colour_folders):
    serialization_dir, _ = trained
    result = run(["evaluate", str(serialization_dir / "model.tar.gz"), str(colour_folders / "valid"),
                  "--include-package", "allencv"])
    log = result.stdout + result.stderr
    table = log[log.index("Evaluation metrics:"):]
    assert re.search(r"accuracy +\d\.\d{4}", table) and re.search(r"macro_f1 +\d\.\d{4}", table)
    assert re.search(r"label +precision +recall +f1 +support", table)
    assert re.search(r"\nblue( +\d\.\d{4}){3} +4\n", table) and re.search(r"\nred( +\d\.\d{4}){3} +4", table)


def test_train_ends_with_the_metrics_table(trained):
    _, result = trained
    log = result.stdout + result.stderr
    table = log[log.index("Metrics of epoch 1"):]
    assert re.search(r" +training +validation\n", table)
    assert re.search(r"accuracy( +\d\.\d{4}){2}", table) and re.search(r"\nred( +\d\.\d{4}){3} +4", table)


def test_train_draws_the_training_curves(trained):
    serialization_dir, _ = trained
    with PIL.Image.open(serialization_dir / "training_curves.png") as image:
        # loss, accuracy, macro_f1, weighted_f1 and the learning rate: 2 rows of 3 panels, no per-label ones
        assert image.width > 600 and 250 < image.height < 800


def test_predict_with_a_bad_line(trained, colour_folders, tmp_path):
    serialization_dir, _ = trained
    images = sorted((colour_folders / "valid" / "red").iterdir())[:2]
    lines = [json.dumps({"image_path": str(path)}) for path in images] + [json.dumps({"image_path": "/no/such.png"})]
    (tmp_path / "input.jsonl").write_text("\n".join(lines) + "\n")
    run_in_process(["predict", str(serialization_dir / "model.tar.gz"), str(tmp_path / "input.jsonl"),
                    "--output-file", str(tmp_path / "out.jsonl"), "--batch-size", "2", "--silent",
                    "--include-package", "allencv"])
    outputs = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert len(outputs) == 3
    assert [output["image_path"] for output in outputs[:2]] == [str(path) for path in images]
    assert all(output["label"] in {"blue", "red"} for output in outputs[:2])
    assert "/no/such.png" in outputs[2]["error"]


def test_the_seeds_valid_slip_fails_before_training(colour_folders, tmp_path):
    env = {"TRAIN_PATH": str(colour_folders / "train"), "VALIDATION_PATH": str(colour_folders / "val")}
    result = run(["train", str(FIXTURES / "colour_classifier.jsonnet"), "-s", str(tmp_path / "run"),
                  "--include-package", "allencv"], env=env, check=False)
    assert result.returncode != 0
    assert f"{colour_folders / 'val'} does not exist. Did you mean {colour_folders / 'valid'}?" in result.stderr
    assert not (tmp_path / "run" / "model.tar.gz").exists()


def test_classification_report(trained, colour_folders, tmp_path):
    serialization_dir, _ = trained
    result = run(["classification-report", str(serialization_dir / "model.tar.gz"), str(colour_folders / "valid"),
                  "-o", str(tmp_path / "report"), "--top-pairs", "3"])
    assert "Accuracy" in result.stdout
    report = (tmp_path / "report" / "report.md").read_text()
    assert "| blue |" in report and "| red |" in report and "## Most confused pairs" in report
    rows = (tmp_path / "report" / "per_class.csv").read_text().splitlines()
    assert rows[0] == "label,precision,recall,f1,support" and len(rows) == 3
    assert (tmp_path / "report" / "confusion_matrix.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_predict_images_takes_image_files_and_folders(trained, colour_folders, tmp_path):
    serialization_dir, _ = trained
    image = sorted((colour_folders / "valid" / "red").iterdir())[0]
    run(["predict-images", str(serialization_dir / "model.tar.gz"), str(image), str(colour_folders / "valid"),
         "--output-file", str(tmp_path / "out.jsonl"), "--batch-size", "3", "--predictor-args", '{"top_k": 2}'])
    outputs = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert len(outputs) == 1 + 8 and outputs[0]["image_path"] == str(image)
    assert all(output["label"] in {"blue", "red"} for output in outputs)
    top = outputs[0]["top_k"]
    assert [entry["label"] for entry in top][0] == outputs[0]["label"] and top[0]["prob"] >= top[1]["prob"]
    result = run(["predict-images", str(serialization_dir / "model.tar.gz"), str(tmp_path / "nothing")], check=False)
    assert result.returncode != 0 and "does not exist: pass image files or folders of images" in result.stderr


def test_predict_images_explains_and_writes_the_cam_overlays(squares_archive, tmp_path):
    test_images = squares_archive.parent.parent / "data" / "test" / "red"
    run(["predict-images", str(squares_archive), str(test_images), "--output-file", str(tmp_path / "out.jsonl"),
         "--predictor-args", json.dumps({"explain": True, "overlay_dir": str(tmp_path / "cams")})])
    outputs = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert len(outputs) == 20 and all(output["explained_label"] == output["label"] for output in outputs)
    written = sorted((tmp_path / "cams").iterdir())
    assert [str(path) for path in written] == sorted(output["overlay_path"] for output in outputs)
    assert all(output["heatmap"] and output["cam_overlay"] for output in outputs)


def test_predict_given_an_image_or_a_folder_names_predict_images(trained, colour_folders):
    serialization_dir, _ = trained
    image = sorted((colour_folders / "valid" / "red").iterdir())[0]
    for path, given in ((image, "is an image file"), (colour_folders / "valid", "is a folder")):
        result = run(["predict", str(serialization_dir / "model.tar.gz"), str(path), "--include-package", "allencv"], check=False)
        assert result.returncode != 0 and "Traceback" not in result.stderr
        assert f"allennlp predict: error: {path} {given}" in result.stderr
        assert "allennlp predict-images ARCHIVE PATH" in result.stderr and "--use-dataset-reader" in result.stderr
