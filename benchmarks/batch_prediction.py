"""
Images/s of `allennlp predict --batch-size N` (its `_PredictManager` loop: JSON lines in, the
predictor's reader, batching, `BasicImageClassifier`, JSON lines out; without the CLI's import
time) against the same model run raw in eval mode on the same images (torchvision decode and
`transforms.v2`, `torch.inference_mode`, no allennlp), measured in the same process with the runs
of the two sides alternating. Prints the median (and min-max) images/s of each over `--runs`, and
the ratio of the medians.

    python -m benchmarks.batch_prediction                       # an untrained resnet18 at 64 px
    python -m benchmarks.batch_prediction --archive runs/digits/model.tar.gz --images data/digits/test
"""
import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict, List

import numpy
import PIL.Image
import torch
from allennlp.commands.predict import _PredictManager
from allennlp.common import Params
from allennlp.common.meta import Meta
from allennlp.data import Vocabulary
from allennlp.models import Model
from allennlp.models.archival import archive_model, load_archive
from allennlp.predictors import Predictor
from torchvision.io import ImageReadMode, decode_image
from torchvision.transforms import v2

import allencv  # noqa: F401  (registers the components)

IMAGENET = {"mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]}


def untrained_archive(folder: Path, size: int) -> Path:
    """An archive of a randomly initialised resnet18 classifier with two labels at `size` px."""
    transforms = [{"type": "resize", "size": [size, size]}, {"type": "normalize", **IMAGENET}]
    config = {
        "dataset_reader": {"type": "image_classification_directory", "transforms": transforms},
        "train_data_path": "unused",
        "model": {
            "type": "basic_image_classifier",
            "im2im_encoder": {"type": "pretrained_resnet", "resnet_model": "resnet18", "weights": None},
            "im2vec_encoder": {"type": "flatten", "input_channels": 512, "input_height": 1, "input_width": 1},
        },
        "data_loader": {"batch_size": 32},
        "trainer": {"optimizer": "adam", "num_epochs": 1},
    }
    vocab = Vocabulary({"labels": {"cat": 1, "dog": 1}}, non_padded_namespaces=["labels"])
    model = Model.from_params(vocab=vocab, params=Params(json.loads(json.dumps(config["model"]))))
    Params(config).to_file(str(folder / "config.json"))
    vocab.save_to_files(str(folder / "vocabulary"))
    torch.save(model.state_dict(), folder / "best.th")
    Meta.new().to_file(str(folder / "meta.json"))
    archive_model(str(folder))
    return folder / "model.tar.gz"


def write_images(folder: Path, count: int, seed: int = 0) -> List[Path]:
    """`count` smooth random JPEGs of 96-160 px."""
    rng = numpy.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(count):
        width, height = (int(side) for side in rng.integers(96, 161, size=2))
        coarse = PIL.Image.fromarray(rng.integers(0, 256, size=(6, 6, 3), dtype=numpy.uint8))
        coarse.resize((width, height), PIL.Image.BICUBIC).save(folder / f"{index:05d}.jpg", quality=90)
        paths.append(folder / f"{index:05d}.jpg")
    return paths


def allennlp_predict(archive_file: Path, paths: List[Path], batch_size: int, work: Path) -> Callable[[], None]:
    predictor = Predictor.from_archive(load_archive(str(archive_file)))
    inputs = work / "inputs.jsonl"
    inputs.write_text("".join(json.dumps({"image_path": str(path)}) + "\n" for path in paths))

    def run() -> None:
        _PredictManager(predictor, str(inputs), str(work / "predictions.jsonl"), batch_size,
                        print_to_console=False, has_dataset_reader=False).run()

    return run


def raw_model(archive_file: Path, paths: List[Path], batch_size: int) -> Callable[[], None]:
    archive = load_archive(str(archive_file))
    model = archive.model.eval()
    pipeline = archive.validation_dataset_reader.pipeline
    normalize = pipeline.normalize
    preprocess = v2.Compose([pipeline.transform, v2.ToDtype(torch.float32, scale=True),
                             v2.Normalize(normalize.mean, normalize.std)])

    def run() -> None:
        with torch.inference_mode():
            for start in range(0, len(paths), batch_size):
                batch = torch.stack([
                    preprocess(decode_image(str(path), mode=ImageReadMode.RGB))
                    for path in paths[start:start + batch_size]
                ])
                model(image=batch)["probs"].argmax(dim=-1).tolist()

    return run


def time_alternating(sides: Dict[str, Callable[[], None]], runs: int, count: int) -> Dict[str, List[float]]:
    for run in sides.values():  # warm-up
        run()
    rates: Dict[str, List[float]] = {name: [] for name in sides}
    for _ in range(runs):
        for name, run in sides.items():
            start = time.perf_counter()
            run()
            rates[name].append(count / (time.perf_counter() - start))
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--archive", type=Path, help="a trained classifier (default: an untrained resnet18)")
    parser.add_argument("--images", type=Path, help="a folder of images, searched recursively (default: generated)")
    parser.add_argument("--count", type=int, default=256, help="how many images to generate or use")
    parser.add_argument("--size", type=int, default=64, help="input size of the default archive")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as temporary:
        work = Path(temporary)
        archive_file = args.archive
        if archive_file is None:
            (work / "model").mkdir()
            archive_file = untrained_archive(work / "model", args.size)
        if args.images is not None:
            paths = sorted(path for path in args.images.rglob("*") if path.suffix.lower() in (".png", ".jpg", ".jpeg"))[: args.count]
        else:
            paths = write_images(work / "images", args.count)
        sides = {
            f"allennlp predict --batch-size {args.batch_size}": allennlp_predict(archive_file, paths, args.batch_size, work),
            "raw model, eval mode": raw_model(archive_file, paths, args.batch_size),
        }
        rates = time_alternating(sides, args.runs, len(paths))
    print(f"{len(paths)} images, batch size {args.batch_size}, {args.runs} runs, torch threads {torch.get_num_threads()}")
    medians = {}
    for name, values in rates.items():
        medians[name] = statistics.median(values)
        print(f"{name:>36}: {medians[name]:8.1f} images/s (median; min {min(values):.1f}, max {max(values):.1f})")
    predict, raw = medians.values()
    print(f"ratio allennlp predict / raw model: {predict / raw:.2f}")


if __name__ == "__main__":
    main()
