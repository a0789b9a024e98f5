import argparse
import json
import sys
from pathlib import Path
from typing import Iterator, List

from allennlp.commands.subcommand import Subcommand
from allennlp.common.checks import ConfigurationError
from allennlp.models.archival import load_archive
from allennlp.predictors import Predictor

from allencv.data.image_loading import is_image_file


@Subcommand.register("predict-images")
class PredictImages(Subcommand):
    """
    `allennlp predict-images ARCHIVE PATH [PATH ...]`: predicts image files and every image in
    folders (recursively, hidden files left out, in sorted order), writing one JSON line per image
    with its `image_path` (a file that cannot be read gets an `error` record). allennlp's own
    `predict` reads JSON lines only (`{"image_path": ...}` per line); this command takes the
    images themselves.

    allennlp finds this command through its plugins: `.allennlp_plugins` (or
    `~/.allennlp/plugins`) must list `allencv`.

    Registered as a `Subcommand` with name "predict-images".
    """

    def add_subparser(self, parser: argparse._SubParsersAction) -> argparse.ArgumentParser:
        description = "Predict image files and folders of images with a trained archive."
        subparser = parser.add_parser(self.name, description=description, help=description)
        subparser.add_argument("archive_file", help="path to an archived trained model")
        subparser.add_argument("paths", nargs="+", help="image files and folders of images")
        subparser.add_argument("--output-file", help="JSON lines file to write (default: standard output)")
        subparser.add_argument("--batch-size", type=int, default=8)
        subparser.add_argument("--cuda-device", type=int, default=-1, help="GPU to use, -1 for the CPU")
        subparser.add_argument("--predictor", help="a predictor name other than the model's default")
        subparser.add_argument("--predictor-args", default="", help="JSON keyword arguments of the predictor")
        subparser.add_argument("-o", "--overrides", default="", help="a JSON(NET) structure overriding the archive's config")
        subparser.set_defaults(func=predict_images_from_args)
        return subparser


def image_paths(paths: List[str]) -> Iterator[Path]:
    """Each path that is a file, and the image files under each folder, in sorted order."""
    for path in map(Path, paths):
        if path.is_dir():
            for found in sorted(path.rglob("*")):
                hidden = any(part.startswith(".") for part in found.relative_to(path).parts)
                if found.is_file() and is_image_file(found) and not hidden:
                    yield found
        elif path.exists():
            yield path
        else:
            raise ConfigurationError(f"{path} does not exist: pass image files or folders of images.")


def predict_images_from_args(args: argparse.Namespace) -> None:
    archive = load_archive(args.archive_file, cuda_device=args.cuda_device, overrides=args.overrides)
    predictor_args = json.loads(args.predictor_args) if args.predictor_args else {}
    predictor = Predictor.from_archive(archive, args.predictor, extra_args=predictor_args)
    paths = list(image_paths(args.paths))
    if not paths:
        raise ConfigurationError(f"No image files in {', '.join(args.paths)}.")
    output = open(args.output_file, "w") if args.output_file else sys.stdout
    try:
        for start in range(0, len(paths), args.batch_size):
            batch = [str(path) for path in paths[start:start + args.batch_size]]
            predictions = predictor.predict_batch_json([{"image_path": path} for path in batch])
            for path, prediction in zip(batch, predictions):
                output.write(json.dumps(dict(prediction, image_path=path)) + "\n")
    finally:
        if output is not sys.stdout:
            output.close()
