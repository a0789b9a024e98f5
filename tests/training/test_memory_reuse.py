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
#: faults of a step-like pattern, five times: 40 blocks of 4 MiB from `malloc`, written, then freed
#: newest first (so each joins the free top of the heap; torch's own small allocations between
#: tensors would pin it). 160 MiB is above any trim threshold of glibc's defaults (at most twice its
#: largest dynamic mmap threshold, 32 MiB), so they hand the memory back and fault it in again
#: every time (~41,000 faults); kept memory (trim threshold 1 GiB) faults once.
SCRIPT = f"""
import ctypes, json, resource, sys
from allennlp.commands import main
sys.argv = ["allennlp", "train", {str(FIXTURES / "colour_classifier.jsonnet")!r}, "-s", sys.argv[1],
            "-o", {json.dumps(TINY)!r}, "--include-package", "allencv"]
main(prog="allennlp")
libc = ctypes.CDLL(None)
libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
size = 4 << 20
faults = []
for _ in range(5):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    blocks = [libc.malloc(size) for _ in range(40)]
    for block in blocks:
        ctypes.memset(block, 1, size)
    for block in reversed(blocks):
        libc.free(block)
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
    # 40 x 4 MiB is 40,960 pages: with glibc's defaults each round faults them all in again.
    assert min(returned[-3:]) > 20000, (returned, kept)
    assert max(kept[-3:]) < 100, (kept, returned)  # after the heap has grown once


def test_the_glibc_variables_of_the_process_win(monkeypatch):
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "131072")
    assert not keep_freed_memory_for_reuse()
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_")
    monkeypatch.setenv(OPT_OUT_VARIABLE, "0")
    assert not keep_freed_memory_for_reuse()
