"""
What the benchmarks share: generated image folders, a training loop for the plain PyTorch
baseline, timing (alternating runs of the two sides, so load on the machine hits both alike) and
the report (median and min-max images/s per side, and the ratio of medians).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Dict, List, Sequence

import numpy
import PIL.Image
import psutil
import torch

REPO_ROOT = Path(__file__).resolve().parent.parent
IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]


def write_jpeg_folder(root: Path, count: int, min_size: int = 300, max_size: int = 500, seed: int = 0) -> Path:
    """`count` JPEGs of `min_size`-`max_size` px in two label folders, smooth enough to look like photos."""
    if root.exists() and sum(1 for _ in root.rglob("*.jpg")) == count:
        return root
    rng = numpy.random.default_rng(seed)
    for index in range(count):
        label = ("cat", "dog")[index % 2]
        (root / label).mkdir(parents=True, exist_ok=True)
        width, height = rng.integers(min_size, max_size + 1, size=2)
        coarse = rng.integers(0, 256, size=(8, 8, 3), dtype=numpy.uint8)
        image = PIL.Image.fromarray(coarse).resize((int(width), int(height)), PIL.Image.BICUBIC)
        noise = rng.integers(-20, 20, size=(int(height), int(width), 3))
        pixels = numpy.clip(numpy.asarray(image).astype(int) + noise, 0, 255).astype(numpy.uint8)
        PIL.Image.fromarray(pixels).save(root / label / f"{index:05d}.jpg", quality=90)
    return root


def write_digits_folder(root: Path, size: int, count: int) -> Path:
    """scikit-learn's digits, upscaled to `size` px greyscale PNGs in `<digit>/` folders."""
    if root.exists() and sum(1 for _ in root.rglob("*.png")) == count:
        return root
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = (digits.images * (255.0 / 16.0)).round().astype(numpy.uint8)
    for index in range(count):
        position = index % len(images)
        folder = root / str(digits.target[position])
        folder.mkdir(parents=True, exist_ok=True)
        image = PIL.Image.fromarray(images[position], mode="L").resize((size, size), PIL.Image.BILINEAR)
        image.save(folder / f"{index:05d}.png")
    return root


def train_plain(model: torch.nn.Module, loader, optimizer) -> int:
    """One epoch of the hand-written loop; returns the number of images."""
    model.train()
    loss_function = torch.nn.CrossEntropyLoss()
    seen = 0
    for images, labels in loader:
        optimizer.zero_grad()
        loss = loss_function(model(images), labels)
        loss.backward()
        optimizer.step()
        seen += len(labels)
    return seen


def cpu_seconds() -> float:
    """CPU time of this process's threads and of its children (the loader's workers), ended or alive."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system + live_children_cpu_seconds()


def live_children_cpu_seconds() -> float:
    """CPU time of this process's children that are still running (e.g. persistent loader workers)."""
    total = 0.0
    for child in psutil.Process().children():
        try:
            times = child.cpu_times()
        except psutil.Error:  # it ended meanwhile, and is counted in os.times() once reaped
            continue
        total += times.user + times.system
    return total


def images_per_second(run: Callable[[], int]) -> float:
    start = time.perf_counter()
    images = run()
    return images / (time.perf_counter() - start)


def compare(sides: Dict[str, Callable[[], int]], runs: int, warmup: bool = True) -> Dict[str, List[float]]:
    """Images/s of each side over `runs` alternating runs (after one untimed warm-up run each)."""
    if warmup:
        for run in sides.values():
            run()
    rates: Dict[str, List[float]] = {name: [] for name in sides}
    for _ in range(runs):
        for name, run in sides.items():
            rates[name].append(images_per_second(run))
    return rates


def run_allennlp(args: List[str], env: Dict[str, str]) -> float:
    """
    Runs `allennlp ARGS --include-package allencv` in a subprocess, with this checkout importable
    and `env` added to the environment; returns its wall time in seconds.
    """
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "allennlp", *args, "--include-package", "allencv"],
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT), **env}, check=True,
    )
    return time.perf_counter() - start


def rate_after_first_epoch(serialization_dir: Path, images: int, epochs: int) -> float:
    """
    Images/s of an `allennlp train` run over its epochs after the first, from the cumulative
    `training_duration` of its `metrics_epoch_N.json` files.
    """
    first, last = (
        _seconds(json.loads((serialization_dir / f"metrics_epoch_{epoch}.json").read_text())["training_duration"])
        for epoch in (0, epochs - 1)
    )
    return images * (epochs - 1) / (last - first)


def _seconds(duration: str) -> float:
    hours, minutes, seconds = duration.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def summary(values: Sequence[float], unit: str = "img/s") -> str:
    return f"{statistics.median(values):9.1f} {unit} (min {min(values):.1f}, max {max(values):.1f})"


def report(title: str, rates: Dict[str, List[float]], baseline: str, unit: str = "img/s") -> Dict[str, float]:
    """Prints every side's median and range, and its ratio of medians against `baseline`."""
    print(f"\n{title}")
    base = statistics.median(rates[baseline])
    ratios = {}
    for name, values in rates.items():
        ratios[name] = statistics.median(values) / base
        print(f"  {name:<28} {summary(values, unit)}   ratio {ratios[name]:.3f}")
    return ratios


def arguments(description: str, **defaults) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--runs", type=int, default=defaults.pop("runs", 3), help="timed runs per side (>= 3)")
    parser.add_argument("--data", default="/tmp/allencv_benchmarks", help="where to generate the images")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads(), help="torch threads")
    for name, value in defaults.items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=type(value), default=value)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    return args
