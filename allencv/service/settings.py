import math
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Tuple

from allennlp.common.checks import ConfigurationError

#: The default cap on a request's body: 10 MiB.
DEFAULT_MAX_UPLOAD_BYTES = 10 * 2**20
#: The default cap on an image's pixels, checked from its header before it is decoded: 40
#: megapixels is above any phone camera and far below a decompression bomb.
DEFAULT_MAX_IMAGE_PIXELS = 40_000_000
DEFAULT_MAX_BATCH_SIZE = 32
#: The default cap on the decoded pixels of one request (all its images together): 64 megapixels,
#: about 190 MB as RGB bytes.
DEFAULT_MAX_REQUEST_PIXELS = 64_000_000
#: The default cap on the decoded pixels of all the requests being decoded or predicted at once:
#: 128 megapixels, about 380 MB as RGB bytes.
DEFAULT_MAX_PENDING_PIXELS = 128_000_000
#: The default seconds a client has to send a request's whole body.
DEFAULT_BODY_TIMEOUT_S = 30.0
#: The default `Host` header values accepted: the loopback names.
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class ServiceSettings:
    """
    The limits and permissions of a served model.

    # Parameters

    max_upload_bytes : `int`, optional (default = 10 MiB)
        The largest request body accepted; larger ones get a 413. A JSON body carries the image as
        base64, 4/3 the size of the file.
    max_image_pixels : `int`, optional (default = 40 million)
        Images with more pixels get a 413, before their pixels are decoded.
    max_batch_size : `int`, optional (default = 32)
        The most images one forward pass takes, and the most one `/predict_batch` request may send.
    max_request_pixels : `int`, optional (default = 64 million)
        The most pixels the images of one request may hold together, counted from their headers
        before any is decoded; a request over it gets a 413.
    max_pending_pixels : `int`, optional (default = 128 million)
        The most pixels held by all the requests being decoded and predicted at once; a request
        that would go over it gets a 503 with `Retry-After`, before any of its images is decoded.
        So the decoded images in memory never pass about 3 bytes times this (plus what the
        predictor's transforms make of them).
    body_timeout_s : `float`, optional (default = 30)
        The seconds a client has, from its request's headers, to send the whole body; a slower one
        gets a 408 and its connection is closed.
    allowed_hosts : `Tuple[str, ...]`, optional (default = the loopback names)
        The host names (without port) a request's `Host` header may give; others get a 421, so a
        web page whose domain was made to resolve to the server (DNS rebinding) cannot reach it.
        `"*"` accepts any host.
    allowed_origins : `Tuple[str, ...]`, optional (default = none)
        The origins (`scheme://host[:port]`) besides the server's own whose pages may POST to it;
        a POST with any other `Origin` header gets a 403. `"*"` allows every origin.
    image_dir : `Path`, optional
        When given, JSON inputs may name a file inside this folder with `image_path`; without it,
        `image_path` gets a 403 and the server reads no file of its own for a client.
    """

    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    max_image_pixels: int = DEFAULT_MAX_IMAGE_PIXELS
    max_batch_size: int = DEFAULT_MAX_BATCH_SIZE
    max_request_pixels: int = DEFAULT_MAX_REQUEST_PIXELS
    max_pending_pixels: int = DEFAULT_MAX_PENDING_PIXELS
    body_timeout_s: float = DEFAULT_BODY_TIMEOUT_S
    allowed_hosts: Tuple[str, ...] = LOOPBACK_HOSTS
    allowed_origins: Tuple[str, ...] = ()
    image_dir: Optional[Path] = None

    def __post_init__(self) -> None:
        names = ("max_upload_bytes", "max_image_pixels", "max_batch_size", "max_request_pixels", "max_pending_pixels")
        for name in names:
            if getattr(self, name) < 1:
                raise ConfigurationError(f"{name} must be at least 1, got {getattr(self, name)}.")
        if self.max_request_pixels > self.max_pending_pixels:
            raise ConfigurationError(
                f"max_request_pixels ({self.max_request_pixels}) is over max_pending_pixels "
                f"({self.max_pending_pixels}), so such a request could never be served; raise "
                "max_pending_pixels or lower max_request_pixels."
            )
        if not 0 < self.body_timeout_s < math.inf:
            raise ConfigurationError(
                f"body_timeout_s must be a positive number of seconds, got {self.body_timeout_s}."
            )
        if self.image_dir is not None and not Path(self.image_dir).is_dir():
            raise ConfigurationError(
                f"The image folder {self.image_dir} does not exist or is not a folder; give the "
                "folder whose files clients may name with `image_path`."
            )
