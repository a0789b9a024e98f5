"""Every config in training_config/ builds: its reader reads, and its model is constructed."""
import pytest
from allennlp.common import Params
from allennlp.data import DatasetReader, Vocabulary
from allennlp.models import Model

from tests.conftest import REPO_ROOT, write_cached_weights

#: Configs that read manifests instead of label folders: the fixture of their data.
MANIFEST_CONFIGS = {
    "multi_label_classifier.jsonnet": "multi_label_manifests",
    "image_text_classifier.jsonnet": "caption_match_manifests",
}
#: Configs that read the generated detection shapes (COCO JSON with keypoints).
DETECTION_CONFIGS = {"faster_rcnn.jsonnet", "retinanet.jsonnet", "keypoint_rcnn.jsonnet"}
CONFIGS = sorted((REPO_ROOT / "training_config").glob("*.jsonnet"))


@pytest.mark.parametrize("config", CONFIGS, ids=[config.name for config in CONFIGS])
def test_config_builds(config, colour_folders, shapes_dataset, torch_home, monkeypatch, request):
    for model_name in ("resnet18", "resnet50"):
        write_cached_weights(torch_home, model_name)
    data = {"train": colour_folders / "train", "valid": colour_folders / "valid"}
    if config.name in MANIFEST_CONFIGS:
        data = request.getfixturevalue(MANIFEST_CONFIGS[config.name])
    elif config.name == "coco_segmentation.jsonnet":
        data = request.getfixturevalue("shapes_coco")
    elif "segmentation" in config.name:
        root = request.getfixturevalue("shapes_folders")
        data = {"train": root / "train", "valid": root / "valid"}
    elif config.name in DETECTION_CONFIGS:
        data = {"train": shapes_dataset / "train.json", "valid": shapes_dataset / "valid.json"}
    monkeypatch.setenv("TRAIN_PATH", str(data["train"]))
    monkeypatch.setenv("VALIDATION_PATH", str(data["valid"]))
    params = Params.from_file(str(config))
    reader = DatasetReader.from_params(params.pop("dataset_reader"))
    instances = list(reader.read(params.pop("train_data_path")))
    assert instances
    vocab = Vocabulary.from_instances(instances)
    model = Model.from_params(vocab=vocab, params=params.pop("model"))
    assert model is not None
