"""
Training keeps freed memory for the next step (glibc's mmap and trim thresholds fixed when
`GradientDescentTrainer.train` starts), and leaves it alone when asked to.
"""
import json
import os
import subprocess
import sys
from typing import List, Tuple

import pytest

from allencv.training.memory_reuse import OPT_OUT_VARIABLE, glibc_mallopt, keep_freed_memory_for_reuse
from tests.conftest import FIXTURES
from tests.training.test_recovery_messages import TINY

#: Trains the colour classifier for two epochs with `allennlp train`, then counts the minor page
#: faults of allocating and freeing 20 tensors of 2 MiB, five times: glibc's defaults hand the
#: memory back and fault it in again every time (~10,000 faults), kept memory faults once.
SCRIPT = f"""
import json, resource, sys, torch
from allennlp.commands import main
sys.argv = ["allennlp", "train", {str(FIXTURES / "colour_classifier.jsonnet")!r}, "-s", sys.argv[1],
            "-o", {json.dumps(TINY)!r}, "--include-package", "allencv"]
main(prog="allennlp")
faults = []
for _ in range(5):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    tensors = [torch.ones(512 * 1024) for _ in range(20)]
    del tensors
    faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
print(json.dumps(faults))
"""


def faults_after_training(colour_folders, run_dir, **environment) -> Tuple[List[int], str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("MALLOC_", "ALLENCV_MALLOC"))}
    env.update(TRAIN_PATH=str(colour_folders / "train"), VALIDATION_PATH=str(colour_folders / "valid"), **environment)
    finished = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(run_dir)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert finished.returncode == 0, finished.stdout[-3000:]
    return json.loads(finished.stdout.strip().splitlines()[-1]), finished.stdout


@pytest.mark.skipif(glibc_mallopt() is None, reason="needs glibc's mallopt (Linux)")
def test_allennlp_train_keeps_freed_memory_for_the_next_step(colour_folders, tmp_path):
    kept, log = faults_after_training(colour_folders, tmp_path / "kept")
    assert "Keeping freed memory for the next step" in log and f"{OPT_OUT_VARIABLE}=0" in log
    returned, log = faults_after_training(colour_folders, tmp_path / "returned", **{OPT_OUT_VARIABLE: "0"})
    assert "Keeping freed memory" not in log
    # 20 x 2 MiB is 10,240 pages: with glibc's defaults each round faults them all in again.
    assert min(returned[-3:]) > 5000, returned
    assert max(kept[-3:]) < 100, kept  # after the heap has grown once


def test_the_glibc_variables_of_the_process_win(monkeypatch):
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "131072")
    assert not keep_freed_memory_for_reuse()
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_")
    monkeypatch.setenv(OPT_OUT_VARIABLE, "0")
    assert not keep_freed_memory_for_reuse()
