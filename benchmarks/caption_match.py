"""
Proof that fusion works: the generated caption-match task (`allencv.datasets.caption_match`),
where the label says whether a caption describes an image and neither alone says anything about
it. Trains `training_config/image_text_classifier.jsonnet` three times through `allennlp train`,
with both modalities, with the image only (`model.use_text: false`) and with the text only
(`model.use_image: false`), evaluates each best model on the held-out test split through
`allennlp evaluate`, and prints the test accuracy and wall time of each. Image + text should be
far above 50%, each modality alone at chance.

    python -m benchmarks.caption_match --data /tmp/caption_match --output runs/caption_match
    python -m benchmarks.caption_match --train 96 --valid 32 --test 32 --size 16 --epochs 1   # a quick check

Writes the data unless `--data` holds it already (same sizes); `--output` is replaced.
"""
import argparse
import json
import os
import shutil
import time
from pathlib import Path

from allencv.datasets.caption_match import write_caption_match
from benchmarks.common import REPO_ROOT, run_allennlp

CONFIG = REPO_ROOT / "training_config" / "image_text_classifier.jsonnet"
#: Each run's overrides of the config: the baselines switch one modality off.
RUNS = {
    "image+text": {},
    "image only": {"model.use_text": False},
    "text only": {"model.use_image": False},
}


def ensure_data(root: Path, size: int, splits: dict) -> dict:
    stamp = root / "sizes.json"
    wanted = {"size": size, **splits}
    if stamp.is_file() and json.loads(stamp.read_text()) == wanted:
        return {split: root / f"{split}.jsonl" for split in splits}
    shutil.rmtree(root, ignore_errors=True)
    manifests = write_caption_match(str(root), size, splits)
    stamp.write_text(json.dumps(wanted))
    return manifests


def train_and_test(name: str, overrides: dict, manifests: dict, output: Path) -> dict:
    env = {"TRAIN_PATH": str(manifests["train"]), "VALIDATION_PATH": str(manifests["valid"])}
    run_dir = output / name.replace(" ", "_").replace("+", "_")
    train_s = run_allennlp(["train", str(CONFIG), "-s", str(run_dir), "-o", json.dumps(overrides)], env)
    metrics_file = run_dir / "test_metrics.json"
    run_allennlp(["evaluate", str(run_dir / "model.tar.gz"), str(manifests["test"]), "--output-file", str(metrics_file)], env)
    return {"test_accuracy": round(json.loads(metrics_file.read_text())["accuracy"], 4), "train_wall_s": round(train_s)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="/tmp/caption_match", help="the generated task (written if missing)")
    parser.add_argument("--output", default="runs/caption_match", help="folder of the three runs (replaced)")
    parser.add_argument("--size", type=int, default=32, help="image side in pixels (the config resizes to 32)")
    parser.add_argument("--train", type=int, default=2000)
    parser.add_argument("--valid", type=int, default=500)
    parser.add_argument("--test", type=int, default=500)
    parser.add_argument("--epochs", type=int, help="override the config's num_epochs (a shorter run)")
    args = parser.parse_args()

    manifests = ensure_data(Path(args.data), args.size, {"train": args.train, "valid": args.valid, "test": args.test})
    output = Path(args.output)
    shutil.rmtree(output, ignore_errors=True)
    start = time.perf_counter()
    results = {}
    for name, overrides in RUNS.items():
        if args.epochs:
            overrides = {**overrides, "trainer.num_epochs": args.epochs}
        results[name] = train_and_test(name, overrides, manifests, output)
    print("| inputs | test accuracy | training wall time |")
    print("| --- | --- | --- |")
    for name, result in results.items():
        print(f"| {name} | {result['test_accuracy']:.1%} | {result['train_wall_s']} s |")
    report = {
        "config": str(CONFIG.relative_to(REPO_ROOT)),
        "examples": {"train": args.train, "valid": args.valid, "test": args.test, "size": args.size},
        "runs": results,
        "total_wall_s": round(time.perf_counter() - start),
        "cpu_count": os.cpu_count(),
    }
    (output / "report.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
