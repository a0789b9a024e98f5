"""
Training throughput of AllenCV's segmentation path against a hand-written PyTorch/torchvision
loop, measured in the same run on the same data and the same network (torchvision's LR-ASPP
MobileNetV3-Large, randomly initialised).

- AllenCV: `allennlp train`'s machinery in this process (`train_model`): the
  `semantic_segmentation_directory` reader, `ImageField`/`MaskField` batching with normalization,
  the `torchvision_segmentation` model with its loss and IoU metrics, allennlp's trainer (with its
  per-epoch checkpoints). Timed by the trainer's own cumulative `training_duration` per epoch.
- Baseline: the images and masks decoded once into memory with torchvision, then a plain loop of
  shuffled batches, normalization, forward, cross entropy with ignore index 255, backward and Adam.

Both do the same number of epochs at the same batch size, and both are timed over every epoch but
the first (a fresh model's first steps are much slower on CPU, as oneDNN sets up its kernels);
each is run `--repeats` times, interleaved, and the medians are compared. The issue's bar is a
ratio of at least 0.95.

    python -m benchmarks.segmentation_throughput [--size 128] [--images 256] [--epochs 3] [--repeats 3]

Epochs much shorter than a few seconds measure allennlp's per-epoch work (a checkpoint of the model
and optimizer, the metrics files) more than training: with 64 images of 32 px the ratio was 0.84.
"""
import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch
import torchvision
from torchvision.io import ImageReadMode, decode_image

from allennlp.commands.train import train_model
from allennlp.common import Params

import allencv  # noqa: F401  (registers AllenCV's components)
from allencv.datasets.segmentation_shapes import SHAPE_CLASSES, write_shapes_dataset
from allencv.data.transforms.normalize import IMAGENET_MEAN, IMAGENET_STD
from benchmarks.common import rate_after_first_epoch

MODEL = "lraspp_mobilenet_v3_large"


def allencv_images_per_second(data: Path, workdir: Path, epochs: int, batch_size: int, images: int) -> float:
    params = Params({
        "dataset_reader": {
            "type": "semantic_segmentation_directory",
            "class_names": list(SHAPE_CLASSES),
            "transforms": [{"type": "normalize"}],
        },
        "train_data_path": str(data),
        "model": {"type": "torchvision_segmentation", "model_name": MODEL, "weights": None, "weights_backbone": None},
        "data_loader": {"batch_size": batch_size, "shuffle": True},
        "trainer": {"optimizer": {"type": "adam", "lr": 0.001}, "num_epochs": epochs, "cuda_device": -1},
    })
    serialization_dir = Path(tempfile.mkdtemp(dir=workdir))
    train_model(params, str(serialization_dir))
    return rate_after_first_epoch(serialization_dir, images, epochs)


def baseline_images_per_second(data: Path, epochs: int, batch_size: int) -> float:
    paths = sorted((data / "images").iterdir())
    images = torch.stack([decode_image(str(path), mode=ImageReadMode.RGB) for path in paths])
    masks = torch.stack([
        decode_image(str(data / "masks" / path.name), mode=ImageReadMode.UNCHANGED)[0] for path in paths
    ]).long()
    model = torchvision.models.get_model(MODEL, weights=None, weights_backbone=None, num_classes=len(SHAPE_CLASSES))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.001)
    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    model.train()
    for epoch in range(epochs):
        if epoch == 1:
            start = time.perf_counter()
        for batch in torch.randperm(len(images)).split(batch_size):
            inputs = (images[batch].float() / 255 - mean) / std
            loss = torch.nn.functional.cross_entropy(model(inputs)["out"], masks[batch], ignore_index=255)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return len(images) * (epochs - 1) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--images", type=int, default=256)
    parser.add_argument("--epochs", type=int, default=3, help="at least 2; the first is not timed")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if args.epochs < 2:
        parser.error("--epochs must be at least 2: the first epoch is a warm-up and is not timed")
    with tempfile.TemporaryDirectory() as workdir:
        write_shapes_dataset(workdir, args.size, {"train": args.images})
        data = Path(workdir) / "train"
        ours, baseline = [], []
        for repeat in range(args.repeats):
            torch.manual_seed(repeat)
            baseline.append(baseline_images_per_second(data, args.epochs, args.batch_size))
            torch.manual_seed(repeat)
            ours.append(allencv_images_per_second(data, Path(workdir), args.epochs, args.batch_size, args.images))
            print(f"run {repeat + 1}: baseline {baseline[-1]:.2f} images/s, AllenCV {ours[-1]:.2f} images/s")
    ratio = statistics.median(ours) / statistics.median(baseline)
    print(f"median images/s: AllenCV {statistics.median(ours):.2f}, hand-written torchvision loop "
          f"{statistics.median(baseline):.2f}; ratio {ratio:.3f} ({MODEL}, {args.images} images of "
          f"{args.size}px, batch {args.batch_size}, {args.epochs} epochs of which {args.epochs - 1} timed, {torch.get_num_threads()} threads)")


if __name__ == "__main__":
    main()
