"""
`make demo`'s log (scripts/demo.sh: data, `allennlp train` of the digits config's 6 epochs,
`allennlp evaluate`, `allennlp predict`) stays short enough to read: at most 150 lines. The demo
runs as written, with a smaller encoder (the log's lines do not depend on the model's size).
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.slow  # the whole demo, with a small model

SMALL_MODEL = {
    "model.im2im_encoder": {"type": "small_cnn", "stage_channels": [4, 8], "convs_per_stage": 1},
    "model.im2vec_encoder": {"type": "global_pool", "input_channels": 8},
}


@pytest.mark.timeout(900)  # the demo took 508 s on the loaded 2-core machine
def test_the_demo_log_has_at_most_150_lines(tmp_path):
    env = {
        **os.environ,
        "DEMO_DIR": str(tmp_path / "demo"),
        "DEMO_TRAIN_OVERRIDES": json.dumps(SMALL_MODEL),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(REPO_ROOT),
    }
    # Bytes: text mode would turn the \r of a progress bar's redraws into line breaks.
    result = subprocess.run(["bash", "scripts/demo.sh"], cwd=REPO_ROOT, env=env, capture_output=True, timeout=900)
    log = (result.stdout + result.stderr).decode(errors="replace")
    assert result.returncode == 0, log[-3000:]
    assert "Held-out test accuracy:" in log and "Metrics of epoch 5" in log and "Evaluation metrics:" in log
    assert log.count("\n") <= 150, log  # lines as `wc -l` counts them
    assert "Training\n" not in log and "memory usage" not in log and "worker_0_memory_MB |" not in log
