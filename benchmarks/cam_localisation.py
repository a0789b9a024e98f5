"""
Do the Grad-CAM explanations point at the evidence? On `allencv.datasets.squares_on_noise`, where
only a coloured square at a random position carries the label, trains
`training_config/squares_on_noise.jsonnet` through `allennlp train`, predicts the test images
with `--predictor-args '{"explain": true}'`'s predictor, and reports the share of correctly
classified test images whose CAM peak (the brightest pixel of the `heatmap` PNG) falls inside
the square (the goal is at least 90%). Baselines measured in the same run: a point drawn at
random (the squares' mean share of the image), and the CAM peaks of the same network untrained.

    python -m benchmarks.cam_localisation --data data/squares --output runs/cam_localisation
"""
import argparse
import base64
import io
import json
import shutil
import time
from pathlib import Path
from typing import Dict, List

import numpy
import PIL.Image


from allencv.datasets.squares_on_noise import read_squares, write_squares_dataset
from benchmarks.common import REPO_ROOT, run_allennlp

CONFIG = REPO_ROOT / "training_config" / "squares_on_noise.jsonnet"


def heatmap_peak(prediction: Dict) -> List[int]:
    """`[x, y]` of the brightest pixel of a prediction's `heatmap` PNG."""
    heatmap = numpy.asarray(PIL.Image.open(io.BytesIO(base64.b64decode(prediction["heatmap"]))))
    y, x = numpy.unravel_index(int(heatmap.argmax()), heatmap.shape)
    return [int(x), int(y)]


def inside(point: List[int], box: List[int]) -> bool:
    return box[0] <= point[0] < box[2] and box[1] <= point[1] < box[3]


def localisation(predictor, squares: Dict[str, List[int]], batch_size: int = 64) -> Dict[str, float]:
    """Accuracy, and the share of correct predictions whose CAM peak is inside the square."""
    paths = sorted(squares)
    correct = hits = 0
    for start in range(0, len(paths), batch_size):
        batch = paths[start:start + batch_size]
        for path, prediction in zip(batch, predictor.predict_batch_json([{"image_path": path} for path in batch])):
            if prediction["label"] == Path(path).parent.name:
                correct += 1
                hits += inside(heatmap_peak(prediction), squares[path])
    return {"accuracy": correct / len(paths), "peak_in_square": hits / max(correct, 1), "correct": correct}


def explaining_predictor(archive: Path, trained: bool):
    """The archive's predictor with `explain` on; with `trained` false, its network re-initialised."""
    import torch
    from allennlp.models.archival import load_archive
    from allennlp.predictors import Predictor

    import allencv  # noqa: F401  (registers the components)

    loaded = load_archive(str(archive))
    if not trained:
        torch.manual_seed(0)
        for module in loaded.model.modules():
            if hasattr(module, "reset_parameters"):
                module.reset_parameters()
    return Predictor.from_archive(loaded, extra_args={"explain": True})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="data/squares", help="the dataset folder (written if missing)")
    parser.add_argument("--output", default="runs/cam_localisation", help="serialization directory (replaced)")
    parser.add_argument("--size", type=int, default=48, help="image side of a newly written dataset")
    parser.add_argument("--epochs", type=int, help="override the config's num_epochs")
    args = parser.parse_args()

    data, output = Path(args.data), Path(args.output)
    if not (data / "test" / "squares.json").is_file():
        write_squares_dataset(str(data), args.size)
    if output.exists():
        shutil.rmtree(output)
    overrides = {"trainer": {"num_epochs": args.epochs}} if args.epochs else {}
    env = {"TRAIN_PATH": str(data / "train"), "VALIDATION_PATH": str(data / "valid")}
    training_s = run_allennlp(["train", str(CONFIG), "-s", str(output), "-o", json.dumps(overrides)], env)

    squares = read_squares(str(data / "test"))
    start = time.perf_counter()
    trained = localisation(explaining_predictor(output / "model.tar.gz", trained=True), squares)
    explain_s = time.perf_counter() - start
    untrained = localisation(explaining_predictor(output / "model.tar.gz", trained=False), squares)
    size = PIL.Image.open(next(iter(squares))).size
    chance = float(numpy.mean([(x2 - x1) * (y2 - y1) / (size[0] * size[1]) for x1, y1, x2, y2 in squares.values()]))

    print(f"\nCAM localisation on {len(squares)} test images ({size[0]}x{size[1]} px), {CONFIG.name}:")
    print(f"  training through allennlp train: {training_s:.0f} s; predicting with explain: {explain_s:.1f} s")
    print(f"  test accuracy: {trained['accuracy']:.1%}")
    print(f"  CAM peak inside the square, of the {trained['correct']} correct: {trained['peak_in_square']:.1%} (goal >= 90%)")
    print(f"  baselines: a random point {chance:.1%}; the untrained network's CAM peak "
          f"{untrained['peak_in_square']:.1%} (of its {untrained['correct']} correct)")
    print(f"  ratio to a random point: {trained['peak_in_square'] / chance:.1f}x")


if __name__ == "__main__":
    main()
