"""
Fashion-MNIST accuracy benchmark: trains `training_config/small_cnn_from_scratch.jsonnet` through
`allennlp train`, evaluates the best model on the official 10,000 test images through
`allennlp evaluate`, and prints the test accuracy and the wall time of each step. Then evaluates the
same archive again with each kind of test-time augmentation (`model.test_time_augmentation`
overrides: the left-right mirror, five crops, both), so their effect on accuracy is measured too.

    python -m benchmarks.fashion_mnist --data data/fashion_mnist --output runs/fmnist [--epochs N]
    python -m benchmarks.fashion_mnist --output runs/fmnist --evaluate-only   # reuse a trained run
    python -m benchmarks.fashion_mnist --config training_config/fashion_mnist_fast.jsonnet \
        --output runs/fmnist_fast --no-test-time-augmentation   # the faster recipe, time to accuracy
    python -m benchmarks.fashion_mnist --config training_config/fashion_mnist_wide.jsonnet \
        --output runs/fmnist_wide   # the wider recipe, for accuracy (about an hour on 2 cores)
    python -m benchmarks.fashion_mnist --config training_config/fashion_mnist_full.jsonnet \
        --train-split train_all --output runs/fmnist_full   # the wider recipe on all 60,000, no validation

Installs Debian's `dataset-fashion-mnist` package with apt-get when its files are missing (this
needs root), and writes the image folders with `allencv.datasets.fashion_mnist` unless they exist.
"""
import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

from allencv.datasets.fashion_mnist import DEBIAN_DIR, SPLITS, write_fashion_mnist_folders
from benchmarks.common import REPO_ROOT, run_allennlp

CONFIG = REPO_ROOT / "training_config" / "small_cnn_from_scratch.jsonnet"
TEST_TIME_AUGMENTATIONS = {
    "horizontal_flip": {"horizontal_flip": True},
    "five_crops": {"horizontal_flip": False, "crop_fraction": 0.875},
    "horizontal_flip_and_five_crops": {"horizontal_flip": True, "crop_fraction": 0.875},
}


def ensure_dataset() -> None:
    if Path(DEBIAN_DIR, "train-images-idx3-ubyte.gz").is_file():
        return
    if shutil.which("apt-get") is None:
        sys.exit(f"{DEBIAN_DIR} is missing and apt-get is not available; install dataset-fashion-mnist.")
    subprocess.run(["apt-get", "update"], check=True)
    subprocess.run(["apt-get", "install", "-y", "dataset-fashion-mnist"], check=True)


def training_metrics(output: Path) -> dict:
    """The run's `metrics.json`, or the last epoch's metrics of a run that was stopped early."""
    if (output / "metrics.json").is_file():
        return json.loads((output / "metrics.json").read_text())
    epochs = sorted(output.glob("metrics_epoch_*.json"), key=lambda path: int(path.stem.rsplit("_", 1)[1]))
    return json.loads(epochs[-1].read_text())


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="data/fashion_mnist", help="image folders (written if missing)")
    parser.add_argument("--output", default="runs/fashion_mnist", help="serialization directory (replaced)")
    parser.add_argument("--epochs", type=int, help="override the config's num_epochs (a shorter run)")
    parser.add_argument("--evaluate-only", action="store_true", help="evaluate the archive already in --output")
    parser.add_argument("--config", default=str(CONFIG), help="the training config")
    parser.add_argument("--no-test-time-augmentation", action="store_true", help="evaluate once, without TTA")
    parser.add_argument("--train-split", default="train", choices=["train", "train_all"],
                        help="the training folder: train (55,000) or train_all (60,000, for configs without validation)")
    args = parser.parse_args()

    ensure_dataset()
    data = Path(args.data)
    if not all((data / split).is_dir() for split in SPLITS):
        start = time.perf_counter()
        counts = write_fashion_mnist_folders(str(data))
        print(f"wrote {counts} in {time.perf_counter() - start:.0f} s")
    output = Path(args.output)
    env = {"TRAIN_PATH": str(data / args.train_split), "VALIDATION_PATH": str(data / "valid")}
    train_seconds = train_cpu_seconds = None
    load_before = os.getloadavg()
    if not args.evaluate_only:
        shutil.rmtree(output, ignore_errors=True)
        overrides = {"trainer.num_epochs": args.epochs} if args.epochs else {}
        cpu_before = children_cpu_seconds()
        train_seconds = run_allennlp(["train", args.config, "-s", str(output), "-o", json.dumps(overrides)], env)
        train_cpu_seconds = children_cpu_seconds() - cpu_before
    load_after = os.getloadavg()

    def evaluate(name: str, overrides: dict) -> dict:
        metrics_file = output / f"test_metrics_{name}.json"
        seconds = run_allennlp(["evaluate", str(output / "model.tar.gz"), str(data / "test"), "--output-file",
                            str(metrics_file), "--overrides", json.dumps(overrides)], env)
        test = json.loads(metrics_file.read_text())
        return {"accuracy": test["accuracy"], "macro_f1": round(test["macro_f1"], 4), "wall_s": round(seconds)}

    test = evaluate("none", {})
    test_time_augmentation = {
        name: evaluate(name, {"model.test_time_augmentation": options})
        for name, options in TEST_TIME_AUGMENTATIONS.items()
        if not args.no_test_time_augmentation
    }
    metrics = training_metrics(output)
    print(json.dumps({
        "config": args.config,
        "epochs": metrics["epoch"] + 1,
        "best_epoch": metrics.get("best_epoch"),
        "best_validation_accuracy": metrics.get("best_validation_accuracy"),  # None without validation
        "test_accuracy": test["accuracy"],
        "train_wall_s": round(train_seconds) if train_seconds else metrics["training_duration"],
        # CPU time of `allennlp train` and its workers: what the run costs on a loaded machine.
        "train_cpu_s": round(train_cpu_seconds) if train_cpu_seconds else None,
        "load_average_before_after": [round(load_before[0], 1), round(load_after[0], 1)],
        "test_wall_s": test["wall_s"],
        "test_time_augmentation": test_time_augmentation,
        "cpu_count": os.cpu_count(),
    }, indent=2))


if __name__ == "__main__":
    main()
