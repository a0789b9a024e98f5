"""
Detection training throughput: `allennlp train` with training_config/faster_rcnn.jsonnet
against a hand-written PyTorch loop over the same network built from torchvision's public parts
(`BackboneWithFPN` on a ResNet-18, `FasterRCNN`, `AnchorGenerator`), on the same generated shapes
images, batch size, optimizer and gradient clipping. Both keep the decoded images in memory and
time every epoch but the first (a fresh model's first steps are much slower on CPU, as oneDNN sets
up its kernels, and allennlp decodes the images during its first epoch): the allennlp side by the
cumulative `training_duration` it reports per epoch, which also covers its per-epoch
checkpointing. Prints images/s for each (median of `--repeats` runs) and their ratio (target
>= 0.95).

    python -m benchmarks.detection_throughput
    python -m benchmarks.detection_throughput --images 32 --epochs 2 --repeats 3   # quick
"""
import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import List, Tuple

import torch
import torchvision
from torchvision.models.detection import FasterRCNN
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.backbone_utils import BackboneWithFPN

from allencv.data.image_loading import load_image
from allencv.datasets.detection_shapes import SHAPES, write_shapes_dataset
from benchmarks.common import REPO_ROOT, rate_after_first_epoch

CONFIG = REPO_ROOT / "training_config" / "faster_rcnn.jsonnet"
BATCH_SIZE = 8


def allencv_images_per_second(files, num_images: int, epochs: int, workdir: Path) -> float:
    from allennlp.commands.train import train_model
    from allennlp.common import Params

    import allencv  # noqa: F401  (registers the components)

    params = Params.from_file(str(CONFIG), params_overrides=json.dumps({
        "train_data_path": files["train"], "validation_data_path": None,
        "dataset_reader.transforms": [],  # no flips: the baseline does not augment
        "trainer.num_epochs": epochs, "trainer.learning_rate_scheduler.t_initial": epochs,
        "trainer.validation_metric": "-loss", "trainer.cuda_device": -1,
    }), ext_vars={"TRAIN_PATH": files["train"], "VALIDATION_PATH": files["train"]})
    train_model(params, str(workdir), force=True)
    return rate_after_first_epoch(workdir, num_images, epochs)


def baseline_images_per_second(files, epochs: int) -> float:
    coco = json.loads(Path(files["train"]).read_text())
    root = Path(files["train"]).parent
    ids = {category["id"]: index + 1 for index, category in enumerate(coco["categories"])}
    samples: List[Tuple[torch.Tensor, dict]] = []
    for image in coco["images"]:
        boxes = [[x, y, x + w, y + h] for a in coco["annotations"] if a["image_id"] == image["id"] for x, y, w, h in [a["bbox"]]]
        labels = [ids[a["category_id"]] for a in coco["annotations"] if a["image_id"] == image["id"]]
        samples.append((load_image(root / image["file_name"]),
                        {"boxes": torch.tensor(boxes, dtype=torch.float32), "labels": torch.tensor(labels)}))
    resnet = torchvision.models.resnet18(weights=None)
    backbone = BackboneWithFPN(resnet, {f"layer{i}": f"layer{i}" for i in range(1, 5)}, [64, 128, 256, 512], 64)
    anchors = AnchorGenerator(((16,), (32,), (64,), (128,), (256,)), ((0.5, 1.0, 2.0),) * 5)
    pooler = torchvision.ops.MultiScaleRoIAlign([f"layer{i}" for i in range(1, 5)], 7, 2)
    model = FasterRCNN(backbone, len(SHAPES) + 1, min_size=128, max_size=128, rpn_anchor_generator=anchors, box_roi_pool=pooler)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.02, momentum=0.9, weight_decay=0.0001)
    loader = torch.utils.data.DataLoader(samples, batch_size=BATCH_SIZE, shuffle=True, collate_fn=lambda batch: batch)
    model.train()
    for epoch in range(epochs):
        if epoch == 1:
            start = time.perf_counter()
        for batch in loader:
            images = [image.float() / 255 for image, _ in batch]
            losses = model(images, [target for _, target in batch])
            loss = sum(losses.values())
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 10.0)
            optimizer.step()
    return len(samples) * (epochs - 1) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=3, help="at least 2; the first is not timed")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if args.epochs < 2:
        parser.error("--epochs must be at least 2: the first epoch is a warm-up and is not timed")
    with tempfile.TemporaryDirectory() as temporary:
        files = write_shapes_dataset(str(Path(temporary) / "shapes"), {"train": args.images}, size=128)
        ours, theirs = [], []
        for repeat in range(args.repeats):
            torch.manual_seed(repeat)
            theirs.append(baseline_images_per_second(files, args.epochs))
            torch.manual_seed(repeat)
            ours.append(allencv_images_per_second(files, args.images, args.epochs, Path(temporary) / f"run{repeat}"))
            print(f"run {repeat}: allennlp train {ours[-1]:.2f} images/s, hand-written loop {theirs[-1]:.2f} images/s")
    ratio = statistics.median(ours) / statistics.median(theirs)
    print(f"median images/s: allennlp train {statistics.median(ours):.2f}, hand-written torchvision loop "
          f"{statistics.median(theirs):.2f}; ratio {ratio:.3f} (target >= 0.95)")


if __name__ == "__main__":
    main()
