"""
The `serve` command: `allennlp serve model.tar.gz` (with `allencv` in `.allennlp_plugins`) or
`python -m allencv.service model.tar.gz`.
"""

import argparse
import json
import logging
import math
import socket
from pathlib import Path
from typing import Any, Dict, List, Optional

from allennlp.commands.subcommand import Subcommand
from allennlp.common.checks import ConfigurationError
from allennlp.common.util import SigTermReceived

from allencv.service.settings import (
    DEFAULT_BODY_TIMEOUT_S,
    DEFAULT_MAX_BATCH_SIZE,
    DEFAULT_MAX_IMAGE_PIXELS,
    DEFAULT_MAX_PENDING_PIXELS,
    DEFAULT_MAX_REQUEST_PIXELS,
    DEFAULT_MAX_UPLOAD_BYTES,
    LOOPBACK_HOSTS,
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
        "--port", type=port_number, default=8000, help="the port to listen on (default 8000)"
    )
    parser.add_argument(
        "--predictor", help="a registered predictor name; defaults to the model's own"
    )
    parser.add_argument(
        "--predictor-args",
        default="",
        help='JSON keyword arguments of the predictor, e.g. \'{"explain": true}\' for Grad-CAM heatmaps',
    )
    parser.add_argument(
        "--cuda-device", type=int, default=-1, help="the GPU to run on; -1 (default) for the CPU"
    )
    parser.add_argument(
        "-o", "--overrides", default="", help="a JSON(net) string overriding the archive's config"
    )
    parser.add_argument(
        "--max-upload-mb",
        type=positive_number,
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
        "--max-request-pixels",
        type=int,
        default=DEFAULT_MAX_REQUEST_PIXELS,
        help="a request whose images hold more pixels in all gets a 413 (default %(default)s)",
    )
    parser.add_argument(
        "--max-pending-pixels",
        type=int,
        default=DEFAULT_MAX_PENDING_PIXELS,
        help="the most pixels all requests in flight may hold; a request over it gets a 503 with "
        "Retry-After (default %(default)s)",
    )
    parser.add_argument(
        "--body-timeout",
        type=positive_number,
        default=DEFAULT_BODY_TIMEOUT_S,
        help="seconds a client has to send a request's body; slower ones get a 408 (default %(default)s)",
    )
    parser.add_argument(
        "--allowed-hosts",
        nargs="+",
        help="the Host header names the server answers for, '*' for any (default: --host and "
        f"{', '.join(LOOPBACK_HOSTS)})",
    )
    parser.add_argument(
        "--allowed-origins",
        nargs="+",
        default=[],
        help="origins (scheme://host:port) whose web pages may POST to the server, '*' for any "
        "(default: none but the server's own)",
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
        max_request_pixels=args.max_request_pixels,
        max_pending_pixels=args.max_pending_pixels,
        body_timeout_s=args.body_timeout,
        allowed_hosts=tuple(args.allowed_hosts or {args.host, *LOOPBACK_HOSTS}),
        allowed_origins=tuple(args.allowed_origins),
        image_dir=args.image_dir,
    )
    if "://" not in args.archive_file and not Path(args.archive_file).is_file():
        raise ConfigurationError(
            f"The archive {args.archive_file} does not exist; give the model.tar.gz in the "
            "serialization folder of `allennlp train`."
        )
    check_port_is_free(args.host, args.port)
    predictor = Predictor.from_path(
        args.archive_file,
        args.predictor,
        cuda_device=args.cuda_device,
        overrides=args.overrides,
        **predictor_arguments(args.predictor_args),
    )
    if not isinstance(predictor, ImagePredictor):
        raise ConfigurationError(
            f"serve needs an AllenCV image predictor, but {args.archive_file} gave a "
            f"{type(predictor).__name__}; name one with --predictor (e.g. image_classifier)."
        )
    logger.info("Serving %s at http://%s:%d/", args.archive_file, args.host, args.port)
    try:
        uvicorn.run(create_app(predictor, settings), host=args.host, port=args.port)
    except SigTermReceived:
        # uvicorn shuts down gracefully on SIGTERM, then raises the signal again, which allennlp's
        # handler turns into this exception: the server has stopped cleanly.
        logger.info("Stopped on SIGTERM.")


def predictor_arguments(text: str) -> Dict[str, Any]:
    """The `--predictor-args` JSON object (empty when not given), or a `ConfigurationError`."""
    if not text:
        return {}
    try:
        arguments = json.loads(text)
    except ValueError as error:
        raise ConfigurationError(f"--predictor-args is not JSON ({error}): give an object, e.g. '{{\"explain\": true}}'.")
    if not isinstance(arguments, dict):
        raise ConfigurationError(f"--predictor-args must be a JSON object, got {text!r}.")
    return arguments


def port_number(value: str) -> int:
    """An `argparse` type: a TCP port, 0 (any free one) to 65535."""
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port number; give 0 to 65535")
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port number; give 0 to 65535")
    return port


def positive_number(value: str) -> float:
    """An `argparse` type: a finite number above 0 (not `nan` or `inf`)."""
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number")
    if not 0 < number < math.inf:  # false for nan too
        raise argparse.ArgumentTypeError(f"{value} is not a finite number above 0")
    return number


def check_port_is_free(host: str, port: int) -> None:
    """Fails, before the model is loaded, when `host:port` cannot be listened on."""
    try:
        with socket.create_server((host, port)):
            pass
    except OSError as error:
        raise ConfigurationError(
            f"Cannot listen on {host}:{port} ({error.strerror or error}); choose another --port "
            "(or stop what uses it), or a --host of this machine."
        )


def main(argv: Optional[List[str]] = None) -> None:
    """`python -m allencv.service ARCHIVE [options]`."""
    parser = argparse.ArgumentParser(prog="python -m allencv.service", description=DESCRIPTION)
    add_arguments(parser)
    serve_from_args(parser.parse_args(argv))
