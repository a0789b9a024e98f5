"""
Shared fixtures: small generated image folders and a private torchvision weights cache, so the
suite needs neither downloads nor a GPU.
"""
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict

import numpy
import PIL.Image
import pytest
import torch
import torchvision

FIXTURES = Path(__file__).parent / "fixtures"
REPO_ROOT = Path(__file__).parent.parent
#: Colours of the generated classes: each image is mostly one colour, so a few steps learn them.
COLOURS = {"blue": (30, 60, 220), "red": (220, 40, 30)}
ALLENNLP = [sys.executable, "-m", "allennlp"]


def run(args, env=None, check=True) -> subprocess.CompletedProcess:
    """`allennlp ARGS` in a subprocess from the repo root, with `env` added to the environment."""
    result = subprocess.run(
        ALLENNLP + args, cwd=REPO_ROOT, env={**os.environ, **(env or {})},
        capture_output=True, text=True, timeout=300,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"allennlp {' '.join(args)} failed:\n{result.stderr[-4000:]}")
    return result


def run_in_process(args, env=None) -> None:
    """
    `allennlp ARGS` in the test's own process, as the `allennlp` command runs it (its argument
    parser, plugins and `--include-package`), with `env` added to the environment, but without
    another interpreter's ~10 s start-up. For a command whose outputs are files; `run` for one
    whose log is checked or that needs a fresh interpreter (what an `--include-package` registers).
    """
    from allennlp.commands import main

    with pytest.MonkeyPatch.context() as patch:
        for name, value in (env or {}).items():
            patch.setenv(name, value)
        patch.setattr(sys, "argv", ["allennlp", *args])
        patch.chdir(REPO_ROOT)
        main(prog="allennlp")


def colour_image(colour, size: int = 32, seed: int = 0) -> PIL.Image.Image:
    rng = numpy.random.default_rng(seed)
    noise = rng.integers(-40, 40, size=(size, size, 3))
    pixels = numpy.clip(numpy.array(colour)[None, None, :] + noise, 0, 255).astype(numpy.uint8)
    return PIL.Image.fromarray(pixels, mode="RGB")


def write_colour_folder(root: Path, per_class: int = 8, size: int = 32, seed: int = 0) -> Dict[str, int]:
    """`root/<colour>/<n>.png` for each colour in `COLOURS`; returns the count per label."""
    for index, (label, colour) in enumerate(sorted(COLOURS.items())):
        (root / label).mkdir(parents=True, exist_ok=True)
        for n in range(per_class):
            suffix = ".png" if n % 2 else ".jpg"
            colour_image(colour, size, seed=seed * 1000 + index * 100 + n).save(root / label / f"{n}{suffix}")
    return {label: per_class for label in COLOURS}


@pytest.fixture(scope="session")
def colour_folders(tmp_path_factory) -> Path:
    """`train/` and `valid/` colour folders; `train/red/` also holds a corrupt `broken.jpg`."""
    root = tmp_path_factory.mktemp("colours")
    write_colour_folder(root / "train", per_class=8, seed=0)
    write_colour_folder(root / "valid", per_class=4, seed=1)
    (root / "train" / "red" / "broken.jpg").write_bytes(b"<html>not an image</html>")
    return root


@pytest.fixture(scope="session")
def shapes_folders(tmp_path_factory) -> Path:
    """A tiny generated shapes segmentation dataset: `train/` (8) and `valid/` (4), 32px, VOC-style masks."""
    from allencv.datasets.segmentation_shapes import write_shapes_dataset

    root = tmp_path_factory.mktemp("shapes")
    write_shapes_dataset(str(root), size=32, splits={"train": 8, "valid": 4})
    return root


@pytest.fixture(scope="session")
def shapes_coco(shapes_folders) -> Dict[str, Path]:
    """
    `shapes_folders` as COCO instances files `train.json` and `valid.json` beside its split
    folders: one annotation (a compressed RLE) per image and class, the ignored borders left out.
    """
    from pycocotools import mask as coco_mask

    from allencv.datasets.segmentation_shapes import SHAPE_CLASSES

    categories = [{"id": index, "name": name} for index, name in enumerate(SHAPE_CLASSES) if index]
    files = {}
    for split in ("train", "valid"):
        images, annotations = [], []
        for image_id, mask_path in enumerate(sorted((shapes_folders / split / "masks").iterdir())):
            mask = numpy.asarray(PIL.Image.open(mask_path))
            images.append({"id": image_id, "file_name": f"{split}/images/{mask_path.name}",
                           "height": mask.shape[0], "width": mask.shape[1]})
            for category in categories:
                if (mask == category["id"]).any():
                    rle = coco_mask.encode(numpy.asfortranarray(mask == category["id"], dtype=numpy.uint8))
                    annotations.append({"id": len(annotations) + 1, "image_id": image_id, "category_id": category["id"],
                                        "segmentation": {"size": rle["size"], "counts": rle["counts"].decode("ascii")},
                                        "iscrowd": 0})
        files[split] = shapes_folders / f"{split}.json"
        files[split].write_text(json.dumps({"images": images, "annotations": annotations, "categories": categories}))
    return files


@pytest.fixture
def torch_home(tmp_path, monkeypatch) -> Path:
    """An empty `TORCH_HOME`, so torchvision's weights cache is the test's own."""
    home = tmp_path / "torch_home"
    (home / "hub" / "checkpoints").mkdir(parents=True)
    monkeypatch.setenv("TORCH_HOME", str(home))
    return home


def write_cached_weights(torch_home: Path, model_name: str, seed: int = 0, **model_kwargs) -> Dict[str, torch.Tensor]:
    """
    Writes a (randomly initialised) checkpoint where torchvision's weights API looks for
    `model_name`'s DEFAULT weights in `torch_home`, and returns its state dict. `model_kwargs`
    shape the model like its pretrained one (e.g. `aux_loss=True` for segmentation models).
    """
    torch.manual_seed(seed)
    state_dict = torchvision.models.get_model(model_name, weights=None, **model_kwargs).state_dict()
    url = torchvision.models.get_model_weights(model_name).DEFAULT.url
    torch.save(state_dict, torch_home / "hub" / "checkpoints" / os.path.basename(url))
    return state_dict


@pytest.fixture(scope="session")
def shapes_dataset(tmp_path_factory) -> Path:
    """The generated shapes detection data at 64 px: `train.json` (4 images) and `valid.json` (2)."""
    from allencv.datasets.detection_shapes import write_shapes_dataset

    root = tmp_path_factory.mktemp("shapes")
    write_shapes_dataset(str(root), {"train": 4, "valid": 2}, size=64, min_side=12, max_side=28)
    return root


#: Labels of the generated multi-label images: each paints its own horizontal band of the image.
BANDS = {"red": ((220, 30, 30), 0), "green": ((30, 200, 40), 1), "blue": ((30, 40, 220), 2)}


def write_multi_label_manifest(root: Path, count: int = 24, size: int = 24, seed: int = 0) -> Path:
    """
    `root/images/<n>.png` on a grey background with a coloured band for each of its labels (red
    top, green middle, blue bottom), every subset of the labels in turn, and `root/labels.jsonl`
    listing them with paths relative to `root`.
    """
    rng = numpy.random.default_rng(seed)
    (root / "images").mkdir(parents=True, exist_ok=True)
    names = sorted(BANDS)
    lines = []
    for n in range(count):
        labels = [name for bit, name in enumerate(names) if (n % 8) >> bit & 1]
        pixels = numpy.full((size, size, 3), 100) + rng.integers(-20, 20, size=(size, size, 3))
        band = size // 3
        for name in labels:
            colour, row = BANDS[name]
            pixels[row * band:(row + 1) * band] = numpy.array(colour) + rng.integers(-20, 20, size=(band, size, 3))
        PIL.Image.fromarray(numpy.clip(pixels, 0, 255).astype(numpy.uint8)).save(root / "images" / f"{n}.png")
        lines.append(json.dumps({"path": f"images/{n}.png", "labels": labels}))
    (root / "labels.jsonl").write_text("\n".join(lines) + "\n")
    return root / "labels.jsonl"


@pytest.fixture(scope="session")
def multi_label_manifests(tmp_path_factory) -> Dict[str, Path]:
    """`train` and `valid` JSON Lines manifests of generated multi-label images."""
    root = tmp_path_factory.mktemp("multi_label")
    return {
        "train": write_multi_label_manifest(root / "train", count=48, seed=0),
        "valid": write_multi_label_manifest(root / "valid", count=16, seed=1),
    }


def write_colour_shards(root: Path, per_class: int = 8, shard_size: int = 5, size: int = 8) -> Path:
    """A colour folder at `root/folder` written as shards of `shard_size` into `root/shards`."""
    from allencv.datasets.to_shards import write_shards

    write_colour_folder(root / "folder", per_class=per_class, size=size)
    write_shards(root / "folder", root / "shards", shard_size=shard_size)
    return root / "shards"


@pytest.fixture(scope="session")
def caption_match_manifests(tmp_path_factory) -> Dict[str, Path]:
    """`train` and `valid` manifests of a small generated caption-match task (16 px images)."""
    from allencv.datasets.caption_match import write_caption_match

    return write_caption_match(str(tmp_path_factory.mktemp("caption_match")), size=16, splits={"train": 48, "valid": 16})


@pytest.fixture(scope="session")
def squares_archive(tmp_path_factory) -> Path:
    """
    `training_config/squares_on_noise.jsonnet` trained in-process (2 epochs) on a small
    squares-on-noise dataset of 32px images; the archive's folder holds the data as `data/`.
    """
    from allennlp.commands.train import train_model
    from allennlp.common import Params

    from allencv.datasets.squares_on_noise import write_squares_dataset

    root = tmp_path_factory.mktemp("squares")
    write_squares_dataset(str(root / "data"), size=32, splits={"train": 150, "valid": 15, "test": 60})
    params = Params.from_file(
        str(REPO_ROOT / "training_config" / "squares_on_noise.jsonnet"),
        params_overrides='{"trainer.num_epochs": 2}',
        ext_vars={"TRAIN_PATH": str(root / "data" / "train"), "VALIDATION_PATH": str(root / "data" / "valid")},
    )
    train_model(params, root / "run")
    return root / "run" / "model.tar.gz"
