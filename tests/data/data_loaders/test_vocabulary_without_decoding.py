"""Readers that know their labels from folder names, manifests or annotations build the vocabulary without decoding."""
import pytest
from allennlp.common import Params
from allennlp.data import DataLoader, DatasetReader, Vocabulary

from allencv.data.data_loaders import TorchDataLoader

READERS = {
    "folders": ({"type": "image_classification_directory"}, lambda request: request.getfixturevalue("colour_folders") / "train"),
    "manifest": ({"type": "image_manifest", "multi_label": True}, lambda request: request.getfixturevalue("multi_label_manifests")["train"]),
    "coco": ({"type": "coco_detection"}, lambda request: request.getfixturevalue("shapes_dataset") / "train.json"),
    "coco_keypoints": ({"type": "coco_detection", "keypoints": True}, lambda request: request.getfixturevalue("shapes_dataset") / "train.json"),
}


@pytest.mark.parametrize("name", sorted(READERS))
def test_the_vocabulary_pass_decodes_no_image_and_matches_a_full_read(name, request, monkeypatch):
    reader_params, data = READERS[name]
    reader = DatasetReader.from_params(Params(dict(reader_params)))
    path = str(data(request))
    full = Vocabulary.from_instances(reader.read(path))
    loader = DataLoader.from_params(Params({"batch_size": 4}), reader=reader, data_path=path)
    assert isinstance(loader, TorchDataLoader)

    def no_decoding(source):
        raise AssertionError(f"decoded {source} to build the vocabulary")

    monkeypatch.setattr(reader, "load_image", no_decoding)
    from_labels = Vocabulary.from_instances(loader.iter_instances())
    # The same labels; counts (so allennlp's frequency order) include files that later fail to decode.
    for namespace in full.get_namespaces():
        assert set(from_labels.get_token_to_index_vocabulary(namespace)) == set(full.get_token_to_index_vocabulary(namespace))
    monkeypatch.undo()
    loader.index_with(from_labels)
    assert sum(len(batch["metadata"]) for batch in loader) == sum(1 for _ in reader.read(path))
