"""
Shared fixtures: small generated image folders and a private torchvision weights cache, so the
suite needs neither downloads nor a GPU.
"""
import os
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
    from allencv.datasets.shapes import write_shapes_dataset

    root = tmp_path_factory.mktemp("shapes")
    write_shapes_dataset(str(root), size=32, splits={"train": 8, "valid": 4})
    return root


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
