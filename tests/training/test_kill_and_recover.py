"""
SIGKILL an `allennlp train` run mid-epoch, between batches or in the middle of a checkpoint write;
`allennlp train --recover` finishes it like an uninterrupted run, past a damaged checkpoint.
"""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from allennlp.commands import main

from tests.conftest import FIXTURES, REPO_ROOT
from tests.training.pause_callback import MARKER

pytestmark = pytest.mark.slow  # kill -9 and --recover

CONFIG = FIXTURES / "colour_classifier_checkpointed.jsonnet"
INCLUDES = ["--include-package", "allencv", "--include-package", "tests.training.pause_callback"]


@pytest.fixture
def colour_paths(colour_folders, monkeypatch):
    monkeypatch.setenv("TRAIN_PATH", str(colour_folders / "train"))
    monkeypatch.setenv("VALIDATION_PATH", str(colour_folders / "valid"))


@pytest.fixture(scope="module")
def uninterrupted_metrics(colour_folders, tmp_path_factory):
    """metrics.json of the same config run without a pause or a kill."""
    run = tmp_path_factory.mktemp("uninterrupted") / "run"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TRAIN_PATH", str(colour_folders / "train"))
        patch.setenv("VALIDATION_PATH", str(colour_folders / "valid"))
        train([str(CONFIG), "-s", str(run), "-o", json.dumps({"trainer.callbacks": []})], patch)
    return json.loads((run / "metrics.json").read_text())


def test_a_killed_run_resumes_from_its_last_intact_checkpoint(colour_paths, uninterrupted_metrics, tmp_path,
                                                                monkeypatch):
    run = tmp_path / "run"
    kill_when_paused([str(CONFIG), "-s", str(run)], run)
    # Killed in epoch 1 after batch 3, whose checkpoint was never written.
    checkpoints = sorted(path.name for path in run.glob("training_state_e*.th"))
    assert checkpoints[-1] == "training_state_e1_b2.th"
    assert not (run / "model.tar.gz").exists()
    first_epoch_metrics = (run / "metrics_epoch_0.json").read_text()
    # The checkpoint holds numpy scalars: torch's weights-only loading needs AllenCV's allowlist.
    assert "numpy._core.multiarray.scalar" in globals_beyond_torchs_defaults(run / "training_state_e1_b2.th")
    # What allennlp's own checkpointer leaves when killed mid-write: a truncated newest checkpoint.
    for state in ("model_state", "training_state"):
        whole = (run / f"{state}_e1_b2.th").read_bytes()
        (run / f"{state}_e1_b3.th").write_bytes(whole[: len(whole) // 2])

    train([str(CONFIG), "-s", str(run), "--recover"], monkeypatch)

    log = (run / "out.log").read_text()  # allennlp's copy of the run's log
    assert f"Skipping the damaged checkpoint {run / 'model_state_e1_b3.th'}" in log
    assert f"Resuming from the newest intact checkpoint, {run / 'model_state_e1_b2.th'}" in log
    assert (run / "model_state_e1_b3.th.damaged").exists() and (run / "training_state_e1_b3.th.damaged").exists()
    assert_finished_like(run, uninterrupted_metrics)
    assert (run / "metrics_epoch_0.json").read_text() == first_epoch_metrics  # not trained again


def test_a_run_killed_during_a_checkpoint_write_resumes(colour_paths, uninterrupted_metrics, tmp_path, monkeypatch):
    run = tmp_path / "run"
    pause = [{"type": "pause_during_checkpoint_write", "epoch": 1, "batch": 3}]
    kill_when_paused([str(CONFIG), "-s", str(run), "-o", json.dumps({"trainer.callbacks": pause})], run)
    # Half of model_state_e1_b3 was written, to a temporary file: the final names hold whole files.
    assert len(list(run.glob(".model_state_e1_b3.th.*.tmp"))) == 1
    assert not (run / "model_state_e1_b3.th").exists()
    assert sorted(path.name for path in run.glob("model_state_e*.th"))[-1] == "model_state_e1_b2.th"
    for checkpoint in run.glob("*_state_e*.th"):
        torch.load(checkpoint)

    train([str(CONFIG), "-s", str(run), "--recover", "-o", json.dumps({"trainer.callbacks": pause})], monkeypatch)

    assert not list(run.glob(".*.tmp"))
    assert_finished_like(run, uninterrupted_metrics)


def kill_when_paused(arguments, run: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "allennlp", "train", *arguments] + INCLUDES,
        cwd=REPO_ROOT, env=os.environ.copy(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.time() + 240
    while not (run / MARKER).exists():
        assert process.poll() is None, f"training ended before the pause:\n{process.stderr.read()[-3000:]}"
        assert time.time() < deadline, "training never reached epoch 1, batch 3"
        time.sleep(0.1)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    process.stderr.close()
    assert process.returncode == -signal.SIGKILL


def train(arguments, monkeypatch) -> None:
    monkeypatch.setattr(sys, "argv", ["allennlp", "train", *arguments] + INCLUDES)
    main(prog="allennlp")


def assert_finished_like(run: Path, uninterrupted_metrics) -> None:
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["epoch"] == uninterrupted_metrics["epoch"] == 2  # the last of num_epochs: 3
    assert metrics.keys() == uninterrupted_metrics.keys()
    assert (run / "model.tar.gz").exists()
    assert sorted(path.name for path in run.glob("metrics_epoch_*.json")) == [
        "metrics_epoch_0.json", "metrics_epoch_1.json", "metrics_epoch_2.json"
    ]


def globals_beyond_torchs_defaults(checkpoint):
    """What the checkpoint needs allowlisted, ignoring any allowlist set up in this process."""
    allowlisted = torch.serialization.get_safe_globals()
    torch.serialization.clear_safe_globals()
    try:
        return torch.serialization.get_unsafe_globals_in_checkpoint(str(checkpoint))
    finally:
        torch.serialization.add_safe_globals(allowlisted)
