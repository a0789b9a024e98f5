"""
Can a small Mask R-CNN learn instance masks through `allennlp train`? Writes the generated shapes
dataset with instance masks (allencv/datasets/detection_shapes.py: circles, squares and triangles
on noisy backgrounds, some touching, some overlapping), trains training_config/mask_rcnn.jsonnet
on it (a small CNN from scratch, FPN) with the allennlp CLI, and reports the best validation box
and mask COCO mAP (target: mask mAP@.5 >= 0.8) and the time taken.

The baseline, measured on the same trained model's validation detections: each detection's box
filled as its mask, i.e. what a box detector alone would give. The ratio is the mask head's mask
mAP over that baseline's.

    python -m benchmarks.mask_rcnn                     # 160 train / 40 valid images of 64 px, 12 epochs
    python -m benchmarks.mask_rcnn --epochs 2 --train 24 --valid 8    # a quick look
"""
import argparse
import json
import tempfile
from pathlib import Path
from typing import Dict


import torch

from benchmarks import detection_map
from benchmarks.common import REPO_ROOT

TARGET_MASK_MAP_50 = 0.8
CONFIG = REPO_ROOT / "training_config" / "mask_rcnn.jsonnet"


def train_on_shapes(workdir: Path, num_train: int, num_valid: int, size: int, epochs: int, touching: float,
                    seed: int = 0) -> Dict[str, float]:
    """Trains `mask_rcnn.jsonnet` on fresh shapes with `allennlp train`; its metrics plus `seconds`."""
    return detection_map.train_on_shapes(
        workdir, num_train, num_valid, size, epochs, CONFIG, seed,
        extra_overrides={"model.min_size": size, "model.max_size": size},
        shapes_options={"min_side": size // 5, "max_side": size * 7 // 16, "touching": touching},
    )


def box_mask_baseline(archive: Path, valid_file: str) -> Dict[str, float]:
    """Mask mAP@.5 of the archived model's validation detections with their masks, and with their boxes filled instead."""
    import pycocotools.mask
    from allennlp.models.archival import load_archive

    from allencv.training.metrics import MaskAveragePrecision

    loaded = load_archive(str(archive))
    model, reader = loaded.model.eval(), loaded.validation_dataset_reader
    instances = list(reader.read(valid_file))
    predicted, filled = MaskAveragePrecision(), MaskAveragePrecision()
    for start in range(0, len(instances), 8):
        batch = instances[start:start + 8]
        with torch.no_grad():
            outputs = model.forward_on_instances(batch)
        model.get_metrics(reset=True)
        detections, gold, boxed = [], [], []
        for instance, output in zip(batch, outputs):
            target = instance["boxes"]
            gold.append(target.as_tensor({}))  # indexed by forward_on_instances
            labels, scores = torch.tensor(output["label_ids"], dtype=torch.int64), torch.tensor(output["scores"])
            height, width = target.masks.shape[-2:]
            masks = torch.zeros((len(labels), height, width), dtype=torch.uint8)
            for index, rle in enumerate(output["masks"]):
                masks[index] = torch.from_numpy(pycocotools.mask.decode({**rle, "counts": rle["counts"].encode()}))
            box_masks = torch.zeros((len(labels), height, width), dtype=torch.uint8)
            for index, (x1, y1, x2, y2) in enumerate(output["boxes"]):
                box_masks[index, round(y1):round(y2), round(x1):round(x2)] = 1
            detections.append({"labels": labels, "scores": scores, "masks": masks})
            boxed.append({"labels": labels, "scores": scores, "masks": box_masks})
        predicted(detections, gold)
        filled(boxed, gold)
    return {"mask_map_50": predicted.get_metric()["mask_map_50"], "box_filled_mask_map_50": filled.get_metric()["mask_map_50"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train", type=int, default=160)
    parser.add_argument("--valid", type=int, default=40)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--touching", type=float, default=0.3, help="probability that a shape touches the previous one")
    parser.add_argument("--workdir", type=Path, help="keep the data and run here (default: a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        workdir = args.workdir or Path(temporary)
        metrics = train_on_shapes(workdir, args.train, args.valid, args.size, args.epochs, args.touching)
        baseline = box_mask_baseline(workdir / "run" / "model.tar.gz", metrics["valid_file"])
    print(json.dumps({key: value for key, value in metrics.items() if "map" in key or "AP_" in key}, indent=2))
    best = metrics["best_validation_mask_map_50"]
    print(f"best epoch {metrics['best_epoch'] + 1} of {args.epochs}: box mAP@.5 {metrics['best_validation_map_50']:.3f}, "
          f"mAP@[.5:.95] {metrics['best_validation_map']:.3f}; mask mAP@.5 {best:.3f}, "
          f"mAP@[.5:.95] {metrics['best_validation_mask_map']:.3f}; {args.train} training images, "
          f"{metrics['seconds']:.0f} s")
    ratio = baseline["mask_map_50"] / max(baseline["box_filled_mask_map_50"], 1e-9)
    print(f"best model: mask mAP@.5 {baseline['mask_map_50']:.3f} against {baseline['box_filled_mask_map_50']:.3f} "
          f"with its boxes filled as masks, a ratio of {ratio:.2f}")
    print(f"mask mAP@.5 target >= {TARGET_MASK_MAP_50}: {'PASS' if best >= TARGET_MASK_MAP_50 else 'FAIL'}")


if __name__ == "__main__":
    main()
