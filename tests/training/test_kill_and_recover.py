"""SIGKILL an `allennlp train` run mid-epoch; `allennlp train --recover` finishes it."""
import pytest
import json
import os
import signal
import subprocess
import sys
import time

import torch
from allennlp.commands import main

from tests.conftest import FIXTURES, REPO_ROOT
from tests.training.pause_callback import MARKER

pytestmark = pytest.mark.slow  # kill -9 and --recover

CONFIG = FIXTURES / "colour_classifier_checkpointed.jsonnet"
INCLUDES = ["--include-package", "allencv", "--include-package", "tests.training.pause_callback"]


def test_a_killed_run_resumes_from_its_last_checkpoint(colour_folders, tmp_path, monkeypatch):
    monkeypatch.setenv("TRAIN_PATH", str(colour_folders / "train"))
    monkeypatch.setenv("VALIDATION_PATH", str(colour_folders / "valid"))
    run = tmp_path / "run"
    process = subprocess.Popen(
        [sys.executable, "-m", "allennlp", "train", str(CONFIG), "-s", str(run)] + INCLUDES,
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
    # Killed in epoch 1 after batch 3, whose checkpoint was never written.
    checkpoints = sorted(path.name for path in run.glob("training_state_e*.th"))
    assert checkpoints[-1] == "training_state_e1_b2.th"
    assert not (run / "model.tar.gz").exists()
    first_epoch_metrics = (run / "metrics_epoch_0.json").read_text()
    # The checkpoint holds numpy scalars: torch's weights-only loading needs AllenCV's allowlist.
    assert "numpy._core.multiarray.scalar" in globals_beyond_torchs_defaults(run / "training_state_e1_b2.th")

    monkeypatch.setattr(sys, "argv", ["allennlp", "train", str(CONFIG), "-s", str(run), "--recover"] + INCLUDES)
    main(prog="allennlp")

    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["epoch"] == 2  # the last of num_epochs: 3
    assert (run / "model.tar.gz").exists()
    assert sorted(path.name for path in run.glob("metrics_epoch_*.json")) == [
        "metrics_epoch_0.json", "metrics_epoch_1.json", "metrics_epoch_2.json"
    ]
    assert (run / "metrics_epoch_0.json").read_text() == first_epoch_metrics  # not trained again


def globals_beyond_torchs_defaults(checkpoint):
    """What the checkpoint needs allowlisted, ignoring any allowlist set up in this process."""
    allowlisted = torch.serialization.get_safe_globals()
    torch.serialization.clear_safe_globals()
    try:
        return torch.serialization.get_unsafe_globals_in_checkpoint(str(checkpoint))
    finally:
        torch.serialization.add_safe_globals(allowlisted)
