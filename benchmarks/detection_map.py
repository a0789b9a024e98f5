"""
Can a small Faster R-CNN learn through `allennlp train`? Writes the generated shapes dataset
(allencv/datasets/detection_shapes.py: coloured circles, squares and triangles on noisy backgrounds),
trains training_config/faster_rcnn.jsonnet on it (ResNet-18 from scratch, FPN) with the
allennlp CLI, and reports the best validation COCO mAP@.5 (target: >= 0.5) and the time taken.

    python -m benchmarks.detection_map                  # 300 train / 60 valid images, 12 epochs
    python -m benchmarks.detection_map --epochs 2 --train 40 --valid 10   # a quick look
    python -m benchmarks.detection_map --config training_config/keypoint_rcnn.jsonnet  # also keypoint AP
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, Optional

from allencv.datasets.detection_shapes import write_shapes_dataset
from benchmarks.common import REPO_ROOT

TARGET_MAP_50 = 0.5


def train_on_shapes(
    workdir: Path,
    num_train: int = 300,
    num_valid: int = 60,
    size: int = 128,
    epochs: int = 12,
    config: Path = REPO_ROOT / "training_config" / "faster_rcnn.jsonnet",
    seed: int = 0,
    extra_overrides: Optional[Dict] = None,
    shapes_options: Optional[Dict] = None,
) -> Dict[str, float]:
    """
    Trains `config` on fresh shapes data (`write_shapes_dataset` with `shapes_options`) with
    `allennlp train`; its metrics plus `seconds` and `valid_file`.
    """
    files = write_shapes_dataset(str(workdir / "shapes"), {"train": num_train, "valid": num_valid}, size=size, seed=seed,
                                 **(shapes_options or {}))
    # allennlp merges dotted keys into the config; a nested dict would replace the whole entry.
    overrides = {"trainer.num_epochs": epochs, "trainer.learning_rate_scheduler.t_initial": epochs,
                 "random_seed": seed, "numpy_seed": seed, "pytorch_seed": seed, **(extra_overrides or {})}
    env = {**os.environ, "TRAIN_PATH": files["train"], "VALIDATION_PATH": files["valid"],
           "PYTHONPATH": str(REPO_ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "allennlp", "train", str(config), "-s", str(workdir / "run"),
         "--include-package", "allencv", "-o", json.dumps(overrides)],
        env=env, check=True, cwd=REPO_ROOT,
    )
    metrics = json.loads((workdir / "run" / "metrics.json").read_text())
    metrics["seconds"] = time.perf_counter() - start
    metrics["valid_file"] = files["valid"]
    return metrics


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train", type=int, default=300)
    parser.add_argument("--valid", type=int, default=60)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--config", type=Path, default=REPO_ROOT / "training_config" / "faster_rcnn.jsonnet")
    parser.add_argument("--workdir", type=Path, help="keep the data and run here (default: a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        workdir = args.workdir or Path(temporary)
        metrics = train_on_shapes(workdir, args.train, args.valid, args.size, args.epochs, args.config)
    best = metrics["best_validation_map_50"]
    print(json.dumps({key: value for key, value in metrics.items() if "map" in key or "AP_" in key}, indent=2))
    print(f"best validation mAP@.5 = {best:.3f} (target >= {TARGET_MAP_50}) after {args.epochs} epochs "
          f"on {args.train} images, {metrics['seconds']:.0f} s: {'PASS' if best >= TARGET_MAP_50 else 'FAIL'}")


if __name__ == "__main__":
    main()
