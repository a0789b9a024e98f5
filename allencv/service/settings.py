from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from allennlp.common.checks import ConfigurationError

#: The default cap on a request's body: 10 MiB.
DEFAULT_MAX_UPLOAD_BYTES = 10 * 2**20
#: The default cap on an image's pixels, checked from its header before it is decoded: 40
#: megapixels is above any phone camera and far below a decompression bomb.
DEFAULT_MAX_IMAGE_PIXELS = 40_000_000
DEFAULT_MAX_BATCH_SIZE = 32


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
    image_dir : `Path`, optional
        When given, JSON inputs may name a file inside this folder with `image_path`; without it,
        `image_path` gets a 403 and the server reads no file of its own for a client.
    """

    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    max_image_pixels: int = DEFAULT_MAX_IMAGE_PIXELS
    max_batch_size: int = DEFAULT_MAX_BATCH_SIZE
    image_dir: Optional[Path] = None

    def __post_init__(self) -> None:
        for name in ("max_upload_bytes", "max_image_pixels", "max_batch_size"):
            if getattr(self, name) < 1:
                raise ConfigurationError(f"{name} must be at least 1, got {getattr(self, name)}.")
        if self.image_dir is not None and not Path(self.image_dir).is_dir():
            raise ConfigurationError(
                f"The image folder {self.image_dir} does not exist or is not a folder; give the "
                "folder whose files clients may name with `image_path`."
            )
