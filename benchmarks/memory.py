"""
(d) Memory: peak memory (the proportional set size, PSS, summed over the process and its loader
workers, so pages shared after fork count once) of reading one epoch of a JPEG folder into
batches, with N and 4N images: AllenCV (vocabulary pass, then an epoch with the `torch` data
loader) against torchvision's `ImageFolder` + `DataLoader`, same transforms, batch size and
workers. Each measurement is a fresh process.

    python -m benchmarks.memory [--images 96 --workers 2 --runs 3]
"""
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

from benchmarks.common import REPO_ROOT, arguments, summary, write_jpeg_folder


def tree_pss_mb() -> float:
    processes = [psutil.Process()] + psutil.Process().children(recursive=True)
    total = 0
    for process in processes:
        try:
            total += process.memory_full_info().pss
        except psutil.Error:
            pass
    return total / 2 ** 20


def measure(side: str, root: Path, batch_size: int, workers: int) -> float:
    """Runs one epoch of `side` in this process and returns its peak PSS in MiB."""
    peak = [0.0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], tree_pss_mb())
            time.sleep(0.05)

    if side == "allencv":
        from allennlp.data import Vocabulary
        from allencv.data.data_loaders import TorchDataLoader
        from benchmarks.data_path import allencv_reader

        loader = TorchDataLoader(allencv_reader(224), str(root), batch_size=batch_size, shuffle=True,
                                 num_workers=workers, quiet=True)
        thread = threading.Thread(target=sample, daemon=True)
        thread.start()
        loader.index_with(Vocabulary.from_instances(loader.iter_instances()))
        batches = (batch["image"] for batch in loader)
    else:
        from benchmarks.data_path import torchvision_loader

        thread = threading.Thread(target=sample, daemon=True)
        thread.start()
        batches = (images for images, _ in torchvision_loader(root, 224, batch_size, workers))
    for _ in batches:
        pass
    done.set()
    thread.join()
    return peak[0]


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        side, root, batch_size, workers = sys.argv[2], Path(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
        print(measure(side, root, batch_size, workers))
        return
    args = arguments(__doc__, images=96, batch_size=32, workers=2)
    peaks = {}
    for count in (args.images, 4 * args.images):
        root = write_jpeg_folder(Path(args.data) / f"jpegs_{count}", count)
        for side in ("allencv", "torchvision"):
            command = [sys.executable, "-m", "benchmarks.memory", "--child", side, str(root), str(args.batch_size),
                       str(args.workers)]
            peaks[side, count] = [
                float(subprocess.run(command, check=True, capture_output=True, text=True, cwd=REPO_ROOT).stdout.split()[-1])
                for _ in range(args.runs)
            ]
    print(f"\n(d) peak PSS of one epoch, batch {args.batch_size}, {args.workers} workers")
    for (side, count), values in peaks.items():
        print(f"  {side:<12} {count:>5} images {summary(values, 'MiB')}")
    for side in ("allencv", "torchvision"):
        growth = statistics.median(peaks[side, 4 * args.images]) / statistics.median(peaks[side, args.images])
        print(f"  {side}: 4x the images -> x{growth:.3f} peak memory")
    for count in (args.images, 4 * args.images):
        ratio = statistics.median(peaks["allencv", count]) / statistics.median(peaks["torchvision", count])
        print(f"  allencv / torchvision at {count} images: {ratio:.3f}")


if __name__ == "__main__":
    main()
