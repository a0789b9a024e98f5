"""
Trains `training_config/semantic_segmentation.jsonnet` with `allennlp train` on the generated
shapes dataset (`allencv.datasets.segmentation_shapes`) and reports the best validation mean IoU and the time
it took. The issue's bar is a mean IoU of at least 0.6.

    python -m benchmarks.segmentation_miou [--size 32] [--train 256] [--valid 64] [--epochs 3] [--workdir DIR]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from allencv.datasets.segmentation_shapes import write_shapes_dataset
from benchmarks.common import REPO_ROOT

CONFIG = REPO_ROOT / "training_config" / "semantic_segmentation.jsonnet"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--train", type=int, default=256)
    parser.add_argument("--valid", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--threshold", type=float, default=0.6)
    parser.add_argument("--workdir", help="keep the data (shapes/) and the trained model (run/) here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        workdir = args.workdir or temporary
        data = Path(workdir) / "shapes"
        write_shapes_dataset(str(data), args.size, {"train": args.train, "valid": args.valid})
        # A dotted key: a nested {"trainer": ...} would replace the config's whole trainer.
        overrides = json.dumps({"trainer.num_epochs": args.epochs})
        env = {**os.environ, "TRAIN_PATH": str(data / "train"), "VALIDATION_PATH": str(data / "valid")}
        command = [sys.executable, "-m", "allennlp", "train", str(CONFIG), "-s", str(Path(workdir) / "run"),
                   "--include-package", "allencv", "-o", overrides]
        start = time.perf_counter()
        subprocess.run(command, env=env, check=True, cwd=REPO_ROOT)
        seconds = time.perf_counter() - start
        metrics = json.loads((Path(workdir) / "run" / "metrics.json").read_text())
    best = metrics["best_validation_mean_iou"]
    print(f"best validation mean IoU {best:.3f} (epoch {metrics['best_epoch']}), pixel accuracy "
          f"{metrics['best_validation_pixel_accuracy']:.3f}; {args.train} train / {args.valid} valid images of "
          f"{args.size}px, {args.epochs} epochs, {seconds:.0f} s for `allennlp train`")
    print("PASS" if best >= args.threshold else "FAIL", f"(threshold {args.threshold})")
    sys.exit(0 if best >= args.threshold else 1)


if __name__ == "__main__":
    main()
