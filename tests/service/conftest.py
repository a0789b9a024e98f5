"""
Fixtures for the serving tests: a tiny classifier trained in-process on 8-pixel colour images and
archived as `allennlp train` archives it, and the images the tests send.
"""

import io
import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Tuple

import httpx
import pytest
import torch
from allennlp.commands.train import train_model
from allennlp.common import Params
from allennlp.data import Vocabulary
from allennlp.models import Model
from allennlp.predictors import Predictor

from allencv.predictors import ImagePredictor
from tests.conftest import REPO_ROOT, colour_image, write_colour_folder

#: Seconds a `serve` subprocess may take to answer /health (imports are slow on a busy machine).
STARTUP_SECONDS = 180


def tiny_classifier_config(data: Path) -> dict:
    reader = {
        "type": "image_classification_directory",
        "transforms": [{"type": "resize", "size": [8, 8]}, {"type": "normalize"}],
    }
    return {
        "dataset_reader": reader,
        "train_data_path": str(data / "train"),
        "validation_data_path": str(data / "valid"),
        "model": {
            "type": "basic_image_classifier",
            "im2vec_encoder": {
                "type": "flatten",
                "input_channels": 3,
                "input_height": 8,
                "input_width": 8,
            },
        },
        "data_loader": {"batch_size": 4, "shuffle": True},
        "trainer": {"optimizer": {"type": "adam", "lr": 0.01}, "num_epochs": 4, "cuda_device": -1},
    }


@pytest.fixture(scope="session")
def tiny_archive(tmp_path_factory) -> Path:
    """A `model.tar.gz` of a flatten classifier that tells red images from blue ones."""
    root = tmp_path_factory.mktemp("served_model")
    write_colour_folder(root / "data" / "train", per_class=8, size=8, seed=0)
    write_colour_folder(root / "data" / "valid", per_class=2, size=8, seed=1)
    train_model(Params(tiny_classifier_config(root / "data")), root / "run")
    return root / "run" / "model.tar.gz"


@pytest.fixture(scope="session")
def trained_predictor(tiny_archive) -> ImagePredictor:
    return Predictor.from_path(str(tiny_archive))


def png_bytes(image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(scope="session")
def red_png() -> bytes:
    return png_bytes(colour_image((220, 40, 30), size=16, seed=7))


@pytest.fixture(scope="session")
def blue_png() -> bytes:
    return png_bytes(colour_image((30, 60, 220), size=16, seed=8))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serving(archive: Path, folder: Path, *options: str) -> Iterator[Tuple[str, Path, subprocess.Popen]]:
    """
    `allennlp serve ARCHIVE *options` in a subprocess started in `folder`, as a user runs it (with
    `allencv` in the folder's `.allennlp_plugins`); yields `(base_url, log_path, process)` once it
    answers /health, and stops it with SIGTERM.
    """
    (folder / ".allennlp_plugins").write_text("allencv\n")
    port = free_port()
    log_path = folder / "serve.log"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
    }
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "allennlp", "serve", str(archive), "--port", str(port), *options],
            cwd=folder,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if process.poll() is not None:
                raise AssertionError(
                    f"allennlp serve exited with {process.returncode}:\n{log_path.read_text()[-4000:]}"
                )
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"allennlp serve did not start in {STARTUP_SECONDS} s:\n{log_path.read_text()[-4000:]}"
                )
            time.sleep(0.25)
        yield url, log_path, process
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="session")
def served(tiny_archive, tmp_path_factory):
    """`allennlp serve` of the tiny archive in a subprocess (see `serving`); yields `(base_url, log_path)`."""
    with serving(tiny_archive, tmp_path_factory.mktemp("serve_cwd")) as (url, log_path, _):
        yield url, log_path


@pytest.fixture(scope="session")
def text_predictor():
    """An untrained `image_text_classifier` on 8 px images and a `caption` text, in evaluation mode."""
    from allencv.data.dataset_readers import ImageTextManifestReader
    from allencv.data.transforms import Resize
    from allencv.predictors import ImageTextClassifierPredictor

    vocab = Vocabulary({"labels": {"match": 1, "mismatch": 1}})
    vocab.add_tokens_to_namespace(["red", "blue", "circle"], "tokens")
    torch.manual_seed(0)
    model = Model.from_params(vocab=vocab, params=Params({
        "type": "image_text_classifier",
        "im2vec_encoder": {"type": "flatten", "input_channels": 3, "input_height": 8, "input_width": 8},
        "text_field_embedders": {"caption": {"token_embedders": {"tokens": {"type": "embedding", "embedding_dim": 4}}}},
        "seq2vec_encoders": {"caption": {"type": "boe", "embedding_dim": 4}},
    })).eval()
    reader = ImageTextManifestReader(text_columns=["caption"], transforms=[Resize([8, 8])])
    return ImageTextClassifierPredictor(model, reader)
