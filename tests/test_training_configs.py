"""Every config in training_config/ builds: its reader reads, and its model is constructed."""
import pytest
import torch
from allennlp.common import Params
from allennlp.data import DataLoader, DatasetReader, Vocabulary
from allennlp.models import Model

from tests.conftest import REPO_ROOT, write_cached_weights

#: Configs that read manifests instead of label folders: the fixture of their data.
MANIFEST_CONFIGS = {"multi_label_classifier.jsonnet": "multi_label_manifests"}
#: Configs that read the generated detection shapes (COCO JSON with keypoints).
DETECTION_CONFIGS = {"faster_rcnn.jsonnet", "retinanet.jsonnet", "keypoint_rcnn.jsonnet"}
CONFIGS = sorted((REPO_ROOT / "training_config").glob("*.jsonnet"))


def config_params(config, monkeypatch, request) -> Params:
    """`config`'s params, its `TRAIN_PATH` and `VALIDATION_PATH` set to a small fixture of its kind."""
    data = {"train": request.getfixturevalue("colour_folders") / "train",
            "valid": request.getfixturevalue("colour_folders") / "valid"}
    if config.name in MANIFEST_CONFIGS:
        data = request.getfixturevalue(MANIFEST_CONFIGS[config.name])
    elif config.name == "coco_segmentation.jsonnet":
        data = request.getfixturevalue("shapes_coco")
    elif "segmentation" in config.name:
        root = request.getfixturevalue("shapes_folders")
        data = {"train": root / "train", "valid": root / "valid"}
    elif config.name in DETECTION_CONFIGS:
        shapes_dataset = request.getfixturevalue("shapes_dataset")
        data = {"train": shapes_dataset / "train.json", "valid": shapes_dataset / "valid.json"}
    monkeypatch.setenv("TRAIN_PATH", str(data["train"]))
    monkeypatch.setenv("VALIDATION_PATH", str(data["valid"]))
    return Params.from_file(str(config))


@pytest.mark.parametrize("config", CONFIGS, ids=[config.name for config in CONFIGS])
def test_config_builds(config, torch_home, monkeypatch, request):
    for model_name in ("resnet18", "resnet50"):
        write_cached_weights(torch_home, model_name)
    params = config_params(config, monkeypatch, request)
    reader = DatasetReader.from_params(params.pop("dataset_reader"))
    instances = list(reader.read(params.pop("train_data_path")))
    assert instances
    vocab = Vocabulary.from_instances(instances)
    model = Model.from_params(vocab=vocab, params=params.pop("model"))
    assert model is not None


def epoch_images(loader) -> dict:
    """Every training image of one epoch, by path, as the loader batched it."""
    images = {}
    for batch in loader:
        for metadata, image in zip(batch["metadata"], batch["image"]):
            images[metadata["image_path"]] = image
    return images


@pytest.mark.parametrize("config", CONFIGS, ids=[config.name for config in CONFIGS])
def test_config_redraws_random_transforms_every_epoch(config, monkeypatch, request):
    """
    The training data loader of every shipped config, built as `allennlp train` builds it, reads
    the images again each epoch: with random transforms in the reader, some image comes out
    different in epoch 2; none is cached in the loader.
    """
    params = config_params(config, monkeypatch, request)
    reader = DatasetReader.from_params(params.pop("dataset_reader"))
    loader_params = params.pop("data_loader")
    loader_params["batch_size"] = 64  # one batch per epoch
    loader_params.pop("num_workers", None)
    loader = DataLoader.from_params(loader_params, reader=reader, data_path=params.pop("train_data_path"))
    assert type(loader).__name__ == "TorchDataLoader"
    loader.index_with(Vocabulary.from_instances(loader.iter_instances()))
    torch.manual_seed(0)
    first, second = epoch_images(loader), epoch_images(loader)
    assert first.keys() == second.keys() and first
    changed = [path for path in first if first[path].shape != second[path].shape
               or not torch.equal(first[path], second[path])]
    random_transforms = [step for step in reader.pipeline.transform.transforms
                         if any(word in type(step).__name__ for word in ("Random", "Augment"))] \
        if hasattr(reader.pipeline.transform, "transforms") else []
    if random_transforms:
        assert changed, f"{config.name}: no image changed between epochs under {random_transforms}"
    else:
        assert not changed


def test_a_loader_without_type_is_the_torch_loader(colour_folders):
    """The seed tutorial's `data_loader: {batch_size: 32}` gets AllenCV's loader, not allennlp's caching one."""
    from allencv.data.dataset_readers import ImageClassificationDirectoryReader

    reader = ImageClassificationDirectoryReader(transforms=[])
    loader = DataLoader.from_params(Params({"batch_size": 32}), reader=reader, data_path=str(colour_folders / "train"))
    assert type(loader).__name__ == "TorchDataLoader"
    multiprocess = DataLoader.from_params(Params({"type": "multiprocess", "batch_size": 32}), reader=reader,
                                          data_path=str(colour_folders / "train"))
    assert type(multiprocess).__name__ == "MultiProcessDataLoader"
