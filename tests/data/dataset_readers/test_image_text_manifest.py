import json

import pytest
from allennlp.common import Params
from allennlp.common.checks import ConfigurationError
from allennlp.data import Batch, Vocabulary
from allennlp.data.dataset_readers import DatasetReader

from allencv.data.dataset_readers import ImageTextManifestReader
from allencv.data.image_loading import ImageLoadError


def test_csv_text_columns_become_text_fields_and_bad_rows_are_counted(images):
    manifest = images / "train.csv"
    manifest.write_text(
        "path,title,caption,label\n"
        "images/a.png,Red One,a red square,red\n"
        "images/b.png,,a blue square,blue\n"  # an empty title is an empty TextField
        "images/broken.png,x,y,red\n"  # undecodable
        "images/a.png,x\n"  # short row: no caption (nor label)
        "images/missing.png,x,y,blue\n"
    )
    reader = DatasetReader.from_params(Params({
        "type": "image_text_manifest",
        "text_columns": ["title", "caption"],
        "tokenizer": {"type": "whitespace"},
        "token_indexers": {"tokens": {"type": "single_id", "lowercase_tokens": True}},
        "transforms": [{"type": "resize", "size": [8, 8]}],
    }))
    instances = list(reader.read(str(manifest)))
    assert [instance["label"].label for instance in instances] == ["red", "blue"]
    assert [token.text for token in instances[0]["caption"].tokens] == ["a", "red", "square"]
    assert [token.text for token in instances[0]["title"].tokens] == ["Red", "One"]
    assert len(instances[1]["title"]) == 0
    assert instances[0]["image"].image.shape == (3, 8, 8)
    assert reader.skipped.as_dict() == {"bad row": 1, "missing": 1, "not an image": 1}

    vocab = Vocabulary.from_instances(instances)
    assert vocab.get_token_index("red", "tokens") > 1  # lowercased by the configured indexer
    batch = Batch(instances)
    batch.index_instances(vocab)
    tensors = batch.as_tensor_dict()
    assert tensors["title"]["tokens"]["tokens"].tolist()[1] == [0, 0]  # the empty title is all padding
    assert tensors["caption"]["tokens"]["tokens"].shape == (2, 3)


def test_jsonl_multi_label_and_text_that_is_not_a_string(images):
    jsonl = images / "tags.jsonl"
    jsonl.write_text("\n".join([
        json.dumps({"path": "images/a.png", "text": "warm red", "labels": ["red", "warm"]}),
        json.dumps({"path": "images/b.png", "text": 7, "labels": []}),
        json.dumps({"path": "images/b.png", "labels": []}),
    ]) + "\n")
    reader = ImageTextManifestReader(multi_label=True, max_tokens=1)
    instances = list(reader.read(str(jsonl)))
    assert [instance["labels"].labels for instance in instances] == [["red", "warm"]]
    assert [token.text for token in instances[0]["text"].tokens] == ["warm"]
    assert reader.skipped.as_dict() == {"bad row": 2}
    with pytest.raises(ImageLoadError, match=r"tags.jsonl:2: bad row \(no text in column 'text'\)"):
        list(ImageTextManifestReader(multi_label=True, on_error="raise").read(str(jsonl)))


def test_config_slips_fail_at_once(images):
    (images / "wrong.csv").write_text("path,label\nimages/a.png,red\n")
    with pytest.raises(ConfigurationError, match=r"has no column 'text' .*set the reader's text_columns\[0\]"):
        list(ImageTextManifestReader().read(str(images / "wrong.csv")))
    with pytest.raises(ConfigurationError, match="text_columns"):
        ImageTextManifestReader(text_columns=["label"])
    with pytest.raises(ConfigurationError, match="text_columns"):
        ImageTextManifestReader(text_columns=[])


def test_text_to_instance_for_prediction(images):
    reader = ImageTextManifestReader()
    instance = reader.text_to_instance(str(images / "images" / "a.png"), "a red square")
    assert [token.text for token in instance["text"].tokens] == ["a", "red", "square"]
    assert "label" not in instance.fields
    assert len(reader.text_to_instance(str(images / "images" / "a.png"))["text"]) == 0
    with pytest.raises(ValueError, match="Unknown text column"):
        reader.text_to_instance(str(images / "images" / "a.png"), {"title": "x"})
