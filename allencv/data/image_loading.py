"""
Decoding images into compact `uint8` RGB tensors, with one error type that says which file failed
and why, so readers can skip and count bad files instead of dying on them.

PIL reads every header (format, mode, size). 8-bit RGB and greyscale JPEGs and PNGs, the bulk of
any dataset, are then decoded by torchvision's `decode_image` straight into a tensor (the same
libjpeg-turbo and libpng pixels, with the EXIF orientation applied, and none of PIL's copies);
everything else, and any file torchvision fails on, goes through PIL, which names what is wrong.
"""
import io
import stat
import threading
import warnings
from contextlib import contextmanager
from os import PathLike
from pathlib import Path
from typing import Iterator, Optional, Tuple, Union

import numpy
import PIL.Image
import PIL.ImageOps
import torch
from torchvision import tv_tensors
from torchvision.io import ImageReadMode, decode_image

#: File suffixes (compared case-insensitively) that readers treat as images.
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff")

#: The default pixel limit above which an image is refused (PIL's own decompression-bomb limit).
DEFAULT_MAX_PIXELS = PIL.Image.MAX_IMAGE_PIXELS

ImageSource = Union[str, PathLike, bytes, PIL.Image.Image, numpy.ndarray, torch.Tensor]

#: (PIL format, PIL mode) pairs that torchvision decodes to exactly PIL's RGB pixels.
_TORCHVISION_DECODES = {(format, mode) for format in ("JPEG", "PNG") for mode in ("RGB", "L")}


class ImageLoadError(ValueError):
    """
    An image that could not be used. `category` is a short, stable reason ("empty file",
    "not an image", "truncated", "too large", "unreadable", "missing", "not a file") that readers
    use to count skipped files; the message names the file and says what went wrong.
    """

    def __init__(self, source: str, category: str, reason: str) -> None:
        super().__init__(f"{printable(source)}: {category} ({printable(reason)})")
        self.source = source
        self.category = category
        self.reason = reason


def printable(text: str) -> str:
    """
    `text` with its control characters escaped (a newline as `\\n`), so that a file name holding
    one cannot start a fake line in a log or a message.
    """
    return "".join(
        character if character.isprintable() else character.encode("unicode_escape").decode("ascii")
        for character in str(text)
    )


def is_image_file(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_EXTENSIONS


def load_image(source: ImageSource, max_pixels: int = DEFAULT_MAX_PIXELS) -> tv_tensors.Image:
    """
    Returns `source` as a `(3, height, width)` `uint8` RGB image, with its EXIF orientation
    applied. `source` may be a path, the encoded bytes of an image file, a PIL image, an
    `(height, width[, channels])` numpy array or a `(channels, height, width)` tensor.

    Raises `ImageLoadError` for anything that is not a usable image.
    """
    if isinstance(source, (str, PathLike)):
        return _load_file(Path(source), max_pixels)
    if isinstance(source, bytes):
        return _decode(bytearray(source), "<image bytes>", max_pixels)
    if isinstance(source, PIL.Image.Image):
        return _from_pil(source, "<PIL image>", max_pixels)
    if isinstance(source, numpy.ndarray):
        return _from_array(torch.from_numpy(numpy.array(source)), channels_last=True)
    if isinstance(source, torch.Tensor):
        return _from_array(source, channels_last=False)
    raise TypeError(
        f"Cannot read an image from a {type(source).__name__}; give a path, bytes, "
        "a PIL image, a numpy array or a tensor."
    )


def read_image_file(path: Path, max_bytes: Optional[int] = None) -> bytes:
    """
    The bytes of the file `path`, raising `ImageLoadError` when it is missing, no regular file (a
    directory, FIFO or device, which are never opened), empty or over `max_bytes`.
    """
    try:
        status = path.stat()
    except FileNotFoundError:
        raise ImageLoadError(str(path), "missing", "no such file")
    except (OSError, ValueError) as error:  # a name too long, a NUL byte, no permission...
        raise ImageLoadError(str(path), "unreadable", f"{type(error).__name__}: {error}")
    if not stat.S_ISREG(status.st_mode):
        kind = _file_kind(status.st_mode)
        raise ImageLoadError(str(path), "not a file", f"it is {kind}; give an image file")
    if status.st_size == 0:
        raise ImageLoadError(str(path), "empty file", "the file has 0 bytes")
    if max_bytes is not None and status.st_size > max_bytes:
        raise ImageLoadError(
            str(path), "too large", f"the file has {status.st_size} bytes, over the limit of {max_bytes}"
        )
    with open(path, "rb") as file:
        return file.read()


def image_size(data: bytes, name: str, max_pixels: int = DEFAULT_MAX_PIXELS) -> Tuple[int, int]:
    """
    The `(width, height)` of the encoded image `data`, from its header, decoding no pixel; raises
    `ImageLoadError` (naming `name`) for what is no image or has more than `max_pixels` pixels.
    """
    with _pil_errors(name), _opened(data) as image:
        _check_size(image, name, max_pixels)
        _check_jpeg_data(image, len(data), name)
        return image.size


def _load_file(path: Path, max_pixels: int) -> tv_tensors.Image:
    return _decode(bytearray(read_image_file(path)), str(path), max_pixels)


def _file_kind(mode: int) -> str:
    """What a path that is not a regular file is, from its `st_mode`."""
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device file"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _decode(data: bytearray, name: str, max_pixels: int) -> tv_tensors.Image:
    with _pil_errors(name), _opened(data) as image:
        _check_size(image, name, max_pixels)
        _check_jpeg_data(image, len(data), name)
        if (image.format, image.mode) in _TORCHVISION_DECODES:
            pixels = _decode_with_torchvision(data)
            if pixels is not None:
                return pixels
        return _from_pil(image, name, max_pixels)


#: Held while PIL's own decompression-bomb limit is lifted to read an image's size (see `_opened`).
_PIL_LIMIT_LOCK = threading.Lock()


@contextmanager
def _opened(data: Union[bytes, bytearray]) -> Iterator[PIL.Image.Image]:
    """
    `data` opened by PIL (its header read, no pixel decoded). PIL refuses to open an image of over
    twice its `MAX_IMAGE_PIXELS`; such a file is opened again with the limit lifted, under a lock,
    so that its size is checked against the caller's own limit (`_check_size`), which may be higher.
    """
    with warnings.catch_warnings():
        # We check the size ourselves, against `max_pixels`, and raise a clear error.
        warnings.simplefilter("ignore", PIL.Image.DecompressionBombWarning)
        try:
            image = PIL.Image.open(io.BytesIO(data))
        except PIL.Image.DecompressionBombError:
            with _PIL_LIMIT_LOCK:
                limit, PIL.Image.MAX_IMAGE_PIXELS = PIL.Image.MAX_IMAGE_PIXELS, None
                try:
                    image = PIL.Image.open(io.BytesIO(data))
                finally:
                    PIL.Image.MAX_IMAGE_PIXELS = limit
        with image:
            yield image


@contextmanager
def _pil_errors(name: str) -> Iterator[None]:
    """Turns what PIL raises for a bad file into an `ImageLoadError` naming `name`."""
    try:
        yield
    except ImageLoadError:
        raise
    except PIL.UnidentifiedImageError:
        raise ImageLoadError(name, "not an image", "its contents are not a format PIL can read")
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        category = "truncated" if "truncated" in str(error).lower() else "unreadable"
        raise ImageLoadError(name, category, f"{type(error).__name__}: {error}")


def _check_jpeg_data(image: PIL.Image.Image, data_bytes: int, name: str) -> None:
    """
    Refuses a JPEG too small to hold the size its header claims. Every 8x8 block of a JPEG's first
    component takes at least one bit of scan data (two in a baseline file), so a file of fewer
    bytes than blocks / 8 ends early, and libjpeg would fill the missing blocks with grey.
    """
    if image.format != "JPEG":
        return
    width, height = image.size
    blocks = -(-width // 8) * -(-height // 8)
    if data_bytes < blocks // 8:
        raise ImageLoadError(
            name,
            "truncated",
            f"its header says {width}x{height} pixels, {blocks} blocks of 8x8, but its "
            f"{data_bytes} bytes can hold at most {data_bytes * 8} of them; the file is cut short "
            "or its header lies",
        )


def _check_size(image: PIL.Image.Image, name: str, max_pixels: int) -> None:
    width, height = image.size
    if width * height > max_pixels:
        raise ImageLoadError(
            name,
            "too large",
            f"{width}x{height} pixels is over the limit of {max_pixels}; "
            "raise the reader's `max_image_pixels` if you trust this file",
        )


def _decode_with_torchvision(data: bytearray) -> Optional[tv_tensors.Image]:
    """The RGB pixels of an encoded JPEG or PNG, or `None` for a damaged file (PIL then says what is wrong)."""
    try:
        encoded = torch.frombuffer(data, dtype=torch.uint8)
        pixels = decode_image(encoded, mode=ImageReadMode.RGB, apply_exif_orientation=True)
    except RuntimeError:
        return None
    return tv_tensors.Image(pixels)


def _from_pil(image: PIL.Image.Image, name: str, max_pixels: int) -> tv_tensors.Image:
    _check_size(image, name, max_pixels)
    image = PIL.ImageOps.exif_transpose(image)
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16/32-bit greyscale: keep the top 8 bits instead of clipping at 255.
        array = numpy.asarray(image).astype(numpy.int64)
        bits = 16 if image.mode.startswith("I;16") or array.max(initial=0) < 65536 else 32
        array = (array >> (bits - 8)).clip(0, 255).astype(numpy.uint8)
        image = PIL.Image.fromarray(array, mode="L")
    elif image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode != "RGB":
        image = image.convert("RGB")
    array = numpy.asarray(image)
    return tv_tensors.Image(torch.from_numpy(array.copy()).permute(2, 0, 1))


def _from_array(array: torch.Tensor, channels_last: bool) -> tv_tensors.Image:
    if array.dim() == 2:
        array = array.unsqueeze(-1 if channels_last else 0)
    if array.dim() != 3:
        raise ImageLoadError(
            "<array>", "unreadable", f"expected 2 or 3 dimensions, got shape {tuple(array.shape)}"
        )
    if channels_last:
        array = array.permute(2, 0, 1)
    if array.dtype != torch.uint8:
        if array.is_floating_point() and array.max() <= 1.0:
            array = array * 255
        array = array.round().clamp(0, 255).to(torch.uint8)
    channels = array.shape[0]
    if channels == 1:
        array = array.expand(3, -1, -1)
    elif channels == 4:
        array = array[:3]
    elif channels != 3:
        raise ImageLoadError("<array>", "unreadable", f"expected 1, 3 or 4 channels, got {channels}")
    return tv_tensors.Image(array.contiguous())
