"""
Every config in training_config/ builds (its reader reads, its model is constructed), and trains
for one batch through allennlp's `train_model_from_file`, shrunk by overrides.
"""
import json

import pytest
import torch
from allennlp.commands.train import train_model_from_file
from allennlp.common import Params
from allennlp.data import DataLoader, DatasetReader, Vocabulary
from allennlp.models import Model

import allencv  # noqa: F401  (registers the components, as --include-package does)

from tests.conftest import COLOURS, REPO_ROOT, colour_image, write_cached_weights

pytestmark = pytest.mark.slow  # trains every shipped config

#: Configs that read manifests instead of label folders: the fixture of their data.
MANIFEST_CONFIGS = {
    "multi_label_classifier.jsonnet": "multi_label_manifests",
    "image_text_classifier.jsonnet": "caption_match_manifests",
}
#: Configs that read the generated detection shapes (COCO JSON with keypoints).
DETECTION_CONFIGS = {"faster_rcnn.jsonnet", "retinanet.jsonnet", "keypoint_rcnn.jsonnet", "mask_rcnn.jsonnet"}
#: Configs that read a timm checkpoint from `WEIGHTS_PATH`: its timm model.
TIMM_CHECKPOINT_CONFIGS = {"timm_fine_tuning.jsonnet": "tf_efficientnet_lite0"}
CONFIGS = sorted((REPO_ROOT / "training_config").glob("*.jsonnet"))


@pytest.fixture(scope="session")
def tiny_folders(tmp_path_factory):
    """Two images per label to train on, one to validate, under two of Fashion-MNIST's label
    names (which `small_cnn_from_scratch.jsonnet` lists), so that a whole epoch is one batch."""
    root = tmp_path_factory.mktemp("tiny")
    for split, count in (("train", 2), ("valid", 1)):
        for label, colour in zip(("bag", "coat"), COLOURS.values()):
            (root / split / label).mkdir(parents=True)
            for n in range(count):
                colour_image(colour, 32, seed=n).save(root / split / label / f"{n}.png")
    return root


def use_config_data(config, request, torch_home, monkeypatch, classification_data="colour_folders") -> None:
    """Points `TRAIN_PATH` and `VALIDATION_PATH` at the small generated data `config` reads."""
    for model_name in ("resnet18", "resnet50"):
        write_cached_weights(torch_home, model_name)
    if config.name in TIMM_CHECKPOINT_CONFIGS:  # a random checkpoint for its `weights_path`
        import timm

        checkpoint = torch_home / f"{TIMM_CHECKPOINT_CONFIGS[config.name]}.pth"
        torch.save(timm.create_model(TIMM_CHECKPOINT_CONFIGS[config.name]).state_dict(), checkpoint)
        monkeypatch.setenv("WEIGHTS_PATH", str(checkpoint))
    colour_folders = request.getfixturevalue(classification_data)
    data = {"train": colour_folders / "train", "valid": colour_folders / "valid"}
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


def config_params(config, monkeypatch, request, torch_home) -> Params:
    """`config`'s params, its `TRAIN_PATH` and `VALIDATION_PATH` set to a small fixture of its kind."""
    use_config_data(config, request, torch_home, monkeypatch)
    return Params.from_file(str(config))


@pytest.mark.parametrize("config", CONFIGS, ids=[config.name for config in CONFIGS])
def test_config_builds(config, torch_home, monkeypatch, request):
    params = config_params(config, monkeypatch, request, torch_home)
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
def test_config_redraws_random_transforms_every_epoch(config, torch_home, monkeypatch, request):
    """
    The training data loader of every shipped config, built as `allennlp train` builds it, reads
    the images again each epoch: with random transforms in the reader, some image comes out
    different in epoch 2; none is cached in the loader.
    """
    params = config_params(config, monkeypatch, request, torch_home)
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


#: One epoch of one batch (every generated training image in it), in the test process.
ONE_BATCH = {
    "data_loader.batch_size": 64,
    "data_loader.num_workers": 0,
    "validation_data_loader.batch_size": 64,
    "trainer.num_epochs": 1,
    "trainer.cuda_device": -1,
}


@pytest.mark.slow
@pytest.mark.parametrize("config", CONFIGS, ids=[config.name for config in CONFIGS])
def test_config_trains_one_batch(config, torch_home, monkeypatch, request, tmp_path):
    use_config_data(config, request, torch_home, monkeypatch, classification_data="tiny_folders")
    overrides = dict(ONE_BATCH)
    if "validation_data_loader" not in Params.from_file(str(config)):  # a final run without validation
        del overrides["validation_data_loader.batch_size"]
    serialization_dir = tmp_path / "run"
    train_model_from_file(str(config), str(serialization_dir), overrides=json.dumps(overrides))
    metrics = json.loads((serialization_dir / "metrics.json").read_text())
    assert metrics["training_loss"] == pytest.approx(metrics["training_loss"])  # a number, not NaN
    assert (serialization_dir / "model.tar.gz").exists() and (serialization_dir / "training_curves.png").exists()
