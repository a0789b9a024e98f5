"""
The `serve` command: `allennlp serve model.tar.gz` (with `allencv` in `.allennlp_plugins`) or
`python -m allencv.service model.tar.gz`.
"""

import argparse
import logging
from pathlib import Path
from typing import List, Optional

from allennlp.commands.subcommand import Subcommand
from allennlp.common.checks import ConfigurationError

from allencv.service.settings import (
    DEFAULT_MAX_BATCH_SIZE,
    DEFAULT_MAX_IMAGE_PIXELS,
    DEFAULT_MAX_UPLOAD_BYTES,
)

logger = logging.getLogger(__name__)

DESCRIPTION = """Serve a trained archive over HTTP: a JSON API (POST /predict, POST /predict_batch,
GET /health, GET /info, OpenAPI at /docs) and a web page for trying images (GET /)."""


@Subcommand.register("serve")
class Serve(Subcommand):
    """`allennlp serve ARCHIVE`: see `add_arguments`. Registered as a `Subcommand` with name "serve"."""

    def add_subparser(self, parser: argparse._SubParsersAction) -> argparse.ArgumentParser:
        subparser = parser.add_parser(
            self.name, description=DESCRIPTION, help="Serve a trained archive over HTTP."
        )
        add_arguments(subparser)
        subparser.set_defaults(func=serve_from_args)
        return subparser


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("archive_file", help="the model.tar.gz that `allennlp train` wrote")
    parser.add_argument(
        "--host", default="127.0.0.1", help="the address to listen on (default 127.0.0.1)"
    )
    parser.add_argument(
        "--port", type=int, default=8000, help="the port to listen on (default 8000)"
    )
    parser.add_argument(
        "--predictor", help="a registered predictor name; defaults to the model's own"
    )
    parser.add_argument(
        "--cuda-device", type=int, default=-1, help="the GPU to run on; -1 (default) for the CPU"
    )
    parser.add_argument(
        "-o", "--overrides", default="", help="a JSON(net) string overriding the archive's config"
    )
    parser.add_argument(
        "--max-upload-mb",
        type=float,
        default=DEFAULT_MAX_UPLOAD_BYTES / 2**20,
        help="the largest request body accepted, in MiB (default %(default)s)",
    )
    parser.add_argument(
        "--max-image-pixels",
        type=int,
        default=DEFAULT_MAX_IMAGE_PIXELS,
        help="images with more pixels are refused before decoding (default %(default)s)",
    )
    parser.add_argument(
        "--max-batch-size",
        type=int,
        default=DEFAULT_MAX_BATCH_SIZE,
        help="the most images per forward pass and per /predict_batch request (default %(default)s)",
    )
    parser.add_argument(
        "--image-dir",
        type=Path,
        help="let JSON inputs name files inside this folder with `image_path` (off by default)",
    )


def serve_from_args(args: argparse.Namespace) -> None:
    from allennlp.predictors import Predictor

    from allencv.optional_dependencies import import_optional

    uvicorn = import_optional("uvicorn", "allennlp serve")
    import_optional("fastapi", "allennlp serve")

    from allencv.predictors.image_predictor import ImagePredictor
    from allencv.service import ServiceSettings, create_app

    settings = ServiceSettings(
        max_upload_bytes=int(args.max_upload_mb * 2**20),
        max_image_pixels=args.max_image_pixels,
        max_batch_size=args.max_batch_size,
        image_dir=args.image_dir,
    )
    if "://" not in args.archive_file and not Path(args.archive_file).is_file():
        raise ConfigurationError(
            f"The archive {args.archive_file} does not exist; give the model.tar.gz in the "
            "serialization folder of `allennlp train`."
        )
    predictor = Predictor.from_path(
        args.archive_file, args.predictor, cuda_device=args.cuda_device, overrides=args.overrides
    )
    if not isinstance(predictor, ImagePredictor):
        raise ConfigurationError(
            f"serve needs an AllenCV image predictor, but {args.archive_file} gave a "
            f"{type(predictor).__name__}; name one with --predictor (e.g. image_classifier)."
        )
    logger.info("Serving %s at http://%s:%d/", args.archive_file, args.host, args.port)
    uvicorn.run(create_app(predictor, settings), host=args.host, port=args.port)


def main(argv: Optional[List[str]] = None) -> None:
    """`python -m allencv.service ARCHIVE [options]`."""
    parser = argparse.ArgumentParser(prog="python -m allencv.service", description=DESCRIPTION)
    add_arguments(parser)
    serve_from_args(parser.parse_args(argv))
