"""
Repeated `kill -9` trials: each trains the colour classifier of tests/fixtures with a checkpoint
after every batch, SIGKILLs it at a random moment after its first checkpoint (so, often, during a
write), runs `allennlp train --recover`, and counts the recoveries that finish all epochs.

    PYTHONPATH=. python scripts/kill_and_recover_trials.py --trials 10   # AllenCV's default checkpointer
    PYTHONPATH=. python scripts/kill_and_recover_trials.py --trials 10 --checkpointer default   # allennlp's
"""
import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from tests.conftest import write_colour_folder  # noqa: E402

CONFIG = REPO_ROOT / "tests" / "fixtures" / "colour_classifier_checkpointed.jsonnet"


def trial(data: Path, run: Path, checkpointer: str, rng: random.Random) -> str:
    overrides = {"trainer.callbacks": [], "trainer.checkpointer": {"save_every_num_batches": 1}}
    if checkpointer:
        overrides["trainer.checkpointer"]["type"] = checkpointer
    command = [sys.executable, "-m", "allennlp", "train", str(CONFIG), "-s", str(run), "-o", json.dumps(overrides),
               "--include-package", "allencv"]
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "TRAIN_PATH": str(data / "train"),
           "VALIDATION_PATH": str(data / "valid")}
    process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while not list(run.glob("model_state_e*.th")):
        if process.poll() is not None:
            return "finished before the first checkpoint"
        time.sleep(0.05)
    time.sleep(rng.uniform(0.0, 3.0))
    if process.poll() is not None:
        return "finished before the kill"
    process.send_signal(signal.SIGKILL)
    process.wait()
    recovered = subprocess.run(command + ["--recover"], cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    if recovered.returncode != 0:
        return "recovery failed: " + recovered.stderr.strip().splitlines()[-1][:200]
    metrics = json.loads((run / "metrics.json").read_text())
    return "recovered" if metrics["epoch"] == 2 and (run / "model.tar.gz").exists() else f"ended at {metrics}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--checkpointer", default="", help='"" for AllenCV\'s default, "default" for allennlp\'s')
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "colours"
        write_colour_folder(data / "train", per_class=8, seed=0)
        write_colour_folder(data / "valid", per_class=4, seed=1)
        outcomes = [trial(data, Path(folder) / f"run{index}", args.checkpointer, rng) for index in range(args.trials)]
    for index, outcome in enumerate(outcomes):
        print(f"trial {index}: {outcome}")
    print(f"{outcomes.count('recovered')} of {len(outcomes)} recovered")


if __name__ == "__main__":
    main()
