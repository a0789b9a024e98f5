import json

import pytest
import torch
from allennlp.common.checks import ConfigurationError

from allencv.data.dataset_readers import ImageManifestReader
from allencv.data.image_loading import ImageLoadError
from allencv.data.transforms import Resize


def test_csv_resolves_relative_paths_and_skips_and_counts_bad_rows(images):
    manifest = images / "train.csv"
    manifest.write_text(
        "path,label\n"
        "images/a.png,red\n"
        f"{images / 'images' / 'b.png'},blue\n"  # absolute paths are kept
        "images/broken.png,red\n"  # undecodable
        ",red\n"  # no path
        "images/a.png,\n"  # no label
        "images/a.png,red,extra\n"  # too many cells
        "images/missing.png,blue\n"
    )
    reader = ImageManifestReader(transforms=[Resize([8, 8])])
    instances = list(reader.read(str(manifest)))
    assert [instance["label"].label for instance in instances] == ["red", "blue"]
    assert instances[0]["metadata"]["image_path"] == str(images / "images" / "a.png")
    assert instances[0]["image"].image.shape == (3, 8, 8)
    assert reader.skipped.as_dict() == {"bad row": 3, "missing": 1, "not an image": 1}
    assert f"{manifest}:5" in reader.skipped.summary(str(manifest))


def test_jsonl_multi_label_lists_and_csv_separated_labels(images):
    jsonl = images / "tags.jsonl"
    jsonl.write_text("\n".join([
        json.dumps({"path": "images/a.png", "labels": ["red", "warm"]}),
        json.dumps({"path": "images/b.png", "labels": []}),
        "{not json",
        json.dumps(["images/a.png"]),
        json.dumps({"path": "images/a.png", "labels": "red"}),  # a string is split like a CSV cell
        json.dumps({"path": "images/a.png", "labels": [1]}),
    ]) + "\n")
    reader = ImageManifestReader(multi_label=True)
    instances = list(reader.read(str(jsonl)))
    assert [instance["labels"].labels for instance in instances] == [["red", "warm"], [], ["red"]]
    assert reader.skipped.as_dict() == {"bad row": 3}

    csv = images / "tags.csv"
    csv.write_text("file,tags\nimages/a.png,red;warm\nimages/b.png,\n")
    reader = ImageManifestReader(multi_label=True, path_column="file", label_column="tags", label_separator=";")
    assert [instance["labels"].labels for instance in reader.read(str(csv))] == [["red", "warm"], []]


def test_on_error_raise_names_the_row(images):
    (images / "bad.csv").write_text("path,label\nimages/a.png,\n")
    with pytest.raises(ImageLoadError, match=r"bad.csv:2: bad row \(no label in column 'label'\)"):
        list(ImageManifestReader(on_error="raise").read(str(images / "bad.csv")))


def test_config_slips_fail_at_once_naming_the_file_and_key(images):
    (images / "wrong.csv").write_text("image,label\nimages/a.png,red\n")
    with pytest.raises(ConfigurationError, match="has no column 'path' \\(its header has: image, label\\); set the reader's path_column"):
        list(ImageManifestReader().read(str(images / "wrong.csv")))
    with pytest.raises(ConfigurationError, match="does not exist"):
        list(ImageManifestReader().read(str(images / "nope.csv")))
    with pytest.raises(ConfigurationError, match="name it .csv, .jsonl or .ndjson"):
        list(ImageManifestReader().read(str(images / "images" / "a.png")))


def test_text_to_instance_for_prediction(images):
    instance = ImageManifestReader(multi_label=True).text_to_instance(images / "images" / "a.png")
    assert set(instance.fields) == {"image", "metadata"}
    assert instance["image"].image.dtype == torch.uint8
