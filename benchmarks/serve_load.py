"""
Load check of `python -m allencv.service`: N concurrent clients post images to /predict on
127.0.0.1 for a bounded time (and count), against calling the same predictor directly in one
process. Every response must be a 200 holding the label and probabilities the predictor gives for
that image; the script exits 1 otherwise.

    python -m benchmarks.serve_load --clients 8 --seconds 5 --runs 3

With no --archive it archives a randomly initialised resnet18 classifier at --image-size pixels
(no download, no training: the load, not the accuracy, is measured). Prints requests/s and
p50/p95 latency of both, medians over --runs runs, and their ratio.
"""

import argparse
import io
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable, Dict, List

import httpx
import numpy
import PIL.Image
from allennlp.common import Params
from allennlp.data import Vocabulary
from allennlp.models import Model
from allennlp.models.archival import archive_model
from allennlp.predictors import Predictor

import allencv  # noqa: F401  (registers the model and predictor)
from benchmarks.common import REPO_ROOT


def build_archive(folder: Path, image_size: int) -> Path:
    config = {
        "dataset_reader": {
            "type": "image_classification_directory",
            "transforms": [
                {"type": "resize", "size": [image_size, image_size]},
                {"type": "normalize"},
            ],
        },
        "train_data_path": "unused",
        "model": {
            "type": "basic_image_classifier",
            "im2im_encoder": {
                "type": "pretrained_resnet",
                "resnet_model": "resnet18",
                "weights": None,
            },
            "im2vec_encoder": {
                "type": "flatten",
                "input_channels": 512,
                "input_height": 1,
                "input_width": 1,
            },
        },
        "trainer": {"num_epochs": 1},
    }
    vocab = Vocabulary({"labels": {name: 1 for name in ("red", "green", "blue", "grey")}})
    model = Model.from_params(Params(json.loads(json.dumps(config["model"]))), vocab=vocab)
    (folder / "config.json").write_text(json.dumps(config))
    vocab.save_to_files(str(folder / "vocabulary"))
    import torch

    torch.save(model.state_dict(), folder / "best.th")
    archive_model(folder)
    return folder / "model.tar.gz"


def test_images(count: int, size: int) -> List[bytes]:
    rng = numpy.random.default_rng(0)
    images = []
    for _ in range(count):
        pixels = rng.integers(0, 256, size=(size, size, 3), dtype=numpy.uint8)
        buffer = io.BytesIO()
        PIL.Image.fromarray(pixels).save(buffer, format="PNG")
        images.append(buffer.getvalue())
    return images


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(archive: Path, port: int, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "allencv.service", str(archive), "--port", str(port)],
        env=env,
        stdout=open(log, "w"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(
                f"The server exited with {process.returncode}:\n{log.read_text()[-3000:]}"
            )
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.25)
    process.terminate()
    raise SystemExit(f"The server did not start:\n{log.read_text()[-3000:]}")


class Tally:
    """Latencies and failures of one timed phase."""

    def __init__(self) -> None:
        self.latencies: List[float] = []
        self.failures: List[str] = []
        self.lock = threading.Lock()
        self.seconds = 0.0

    def summary(self) -> Dict[str, float]:
        latencies = sorted(self.latencies)
        return {
            "requests": len(latencies),
            "requests_per_s": len(latencies) / self.seconds,
            "p50_ms": 1000 * latencies[len(latencies) // 2],
            "p95_ms": 1000 * latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))],
        }


def timed_phase(
    workers: int, seconds: float, max_requests: int, call: Callable[[int], str]
) -> Tally:
    """Runs `call(n)` (which returns "" or what went wrong) from `workers` threads until the time or count is up."""
    tally = Tally()
    counter = iter(range(max_requests))
    counter_lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def work() -> None:
        while time.monotonic() < deadline:
            with counter_lock:
                n = next(counter, None)
            if n is None:
                return
            start = time.perf_counter()
            failure = call(n)
            elapsed = time.perf_counter() - start
            with tally.lock:
                tally.latencies.append(elapsed)
                if failure:
                    tally.failures.append(failure)

    threads = [threading.Thread(target=work) for _ in range(workers)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    tally.seconds = time.perf_counter() - start
    return tally


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--archive",
        type=Path,
        help="a model.tar.gz of a classifier (default: a fresh resnet18 one)",
    )
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=5.0, help="the length of each timed phase")
    parser.add_argument(
        "--max-requests", type=int, default=5000, help="the most requests of each timed phase"
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--image-size", type=int, default=64)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        archive = args.archive or build_archive(folder, args.image_size)
        images = test_images(16, args.image_size)
        predictor = Predictor.from_path(str(archive))
        expected = [predictor.predict(image) for image in images]
        port = free_port()
        server = start_server(archive, port, folder / "server.log")
        url = f"http://127.0.0.1:{port}/predict"
        local = threading.local()

        def direct(n: int) -> str:
            predictor.predict(images[n % len(images)])
            return ""

        def over_http(n: int) -> str:
            if not hasattr(local, "client"):
                local.client = httpx.Client(timeout=60)
            index = n % len(images)
            response = local.client.post(
                url, files={"image": (f"{index}.png", images[index], "image/png")}
            )
            if response.status_code != 200:
                return f"HTTP {response.status_code}: {response.text[:200]}"
            got, want = response.json(), expected[index]
            if got["label"] != want["label"] or not numpy.allclose(
                got["probs"], want["probs"], atol=1e-4
            ):
                return f"image {index}: got {got['label']} {got['probs']}, expected {want['label']} {want['probs']}"
            return ""

        results: Dict[str, List[Dict[str, float]]] = {"direct": [], "http": []}
        failures: List[str] = []
        try:
            timed_phase(args.clients, 1.0, 50, over_http)  # warm-up
            for run in range(args.runs):
                direct_tally = timed_phase(1, args.seconds, args.max_requests, direct)
                http_tally = timed_phase(args.clients, args.seconds, args.max_requests, over_http)
                results["direct"].append(direct_tally.summary())
                results["http"].append(http_tally.summary())
                failures += http_tally.failures
                print(
                    f"run {run + 1}: direct {results['direct'][-1]}, http {results['http'][-1]}",
                    flush=True,
                )
        finally:
            server.terminate()
            server.wait(timeout=30)

    def median(kind: str, key: str) -> float:
        return statistics.median(result[key] for result in results[kind])

    print(
        f"\nresnet18-classifier at {args.image_size}px, {args.clients} clients, {args.seconds:g} s phases, "
        f"medians over {args.runs} runs, {sum(r['requests'] for r in results['http'])} HTTP requests, "
        f"{len(failures)} failed or wrong"
    )
    print(f"{'':28}{'requests/s':>12}{'p50 ms':>10}{'p95 ms':>10}")
    for kind, name in (
        ("direct", "predictor.predict, 1 process"),
        ("http", f"HTTP, {args.clients} clients"),
    ):
        print(
            f"{name:28}{median(kind, 'requests_per_s'):>12.1f}{median(kind, 'p50_ms'):>10.1f}{median(kind, 'p95_ms'):>10.1f}"
        )
    print(
        f"throughput ratio HTTP / direct: {median('http', 'requests_per_s') / median('direct', 'requests_per_s'):.2f}"
    )
    if failures:
        print("failures:", *failures[:5], sep="\n  ")
        sys.exit(1)


if __name__ == "__main__":
    main()
