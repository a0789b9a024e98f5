"""
Fashion-MNIST accuracy benchmark: trains `training_config/small_cnn_from_scratch.jsonnet` through
`allennlp train`, evaluates the best model on the official 10,000 test images through
`allennlp evaluate`, and prints the test accuracy and the wall time of each step.

    python benchmarks/fashion_mnist.py --data data/fashion_mnist --output runs/fmnist [--epochs N]

Installs Debian's `dataset-fashion-mnist` package with apt-get when its files are missing (this
needs root), and writes the image folders with `allencv.datasets.fashion_mnist` unless they exist.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from allencv.datasets.fashion_mnist import DEBIAN_DIR, write_fashion_mnist_folders  # noqa: E402

CONFIG = REPO_ROOT / "training_config" / "small_cnn_from_scratch.jsonnet"


def ensure_dataset() -> None:
    if Path(DEBIAN_DIR, "train-images-idx3-ubyte.gz").is_file():
        return
    if shutil.which("apt-get") is None:
        sys.exit(f"{DEBIAN_DIR} is missing and apt-get is not available; install dataset-fashion-mnist.")
    subprocess.run(["apt-get", "update"], check=True)
    subprocess.run(["apt-get", "install", "-y", "dataset-fashion-mnist"], check=True)


def allennlp(args, env) -> float:
    """Runs `allennlp ARGS` with this checkout importable; returns its wall time in seconds."""
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "allennlp", *args, "--include-package", "allencv"],
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT), **env}, check=True,
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="data/fashion_mnist", help="image folders (written if missing)")
    parser.add_argument("--output", default="runs/fashion_mnist", help="serialization directory (replaced)")
    parser.add_argument("--epochs", type=int, help="override the config's num_epochs (a shorter run)")
    args = parser.parse_args()

    ensure_dataset()
    data = Path(args.data)
    if not (data / "test").is_dir():
        start = time.perf_counter()
        counts = write_fashion_mnist_folders(str(data))
        print(f"wrote {counts} in {time.perf_counter() - start:.0f} s")
    output = Path(args.output)
    shutil.rmtree(output, ignore_errors=True)
    overrides = {"trainer.num_epochs": args.epochs} if args.epochs else {}
    env = {"TRAIN_PATH": str(data / "train"), "VALIDATION_PATH": str(data / "valid")}
    train_seconds = allennlp(["train", str(CONFIG), "-s", str(output), "-o", json.dumps(overrides)], env)
    test_metrics = output / "test_metrics.json"
    test_seconds = allennlp(
        ["evaluate", str(output / "model.tar.gz"), str(data / "test"), "--output-file", str(test_metrics)], env
    )
    metrics = json.loads((output / "metrics.json").read_text())
    test = json.loads(test_metrics.read_text())
    print(json.dumps({
        "config": str(CONFIG.relative_to(REPO_ROOT)),
        "epochs": metrics["epoch"] + 1,
        "best_epoch": metrics["best_epoch"],
        "best_validation_accuracy": metrics["best_validation_accuracy"],
        "test_accuracy": test["accuracy"],
        "train_wall_s": round(train_seconds),
        "test_wall_s": round(test_seconds),
        "cpu_count": os.cpu_count(),
    }, indent=2))


if __name__ == "__main__":
    main()
