"""
A generated "nasty" image folder: what real image folders hold besides clean images (broken
files, system junk, unusual but valid images, awkward names, symlinks, awkward class folders),
with the outcome each file must have. Any test may reuse it: `write_nasty_folder(tmp_path)`.
"""
import io
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Tuple

import numpy
import PIL.Image

RED = (220, 30, 30)
BLUE = (30, 30, 220)

#: How `PIL.ImageOps.exif_transpose` undoes each EXIF orientation; the files are stored with the
#: inverse, so every one of them displays the same upright picture.
_STORED_AS = {
    1: None,
    2: PIL.Image.Transpose.FLIP_LEFT_RIGHT,
    3: PIL.Image.Transpose.ROTATE_180,
    4: PIL.Image.Transpose.FLIP_TOP_BOTTOM,
    5: PIL.Image.Transpose.TRANSPOSE,
    6: PIL.Image.Transpose.ROTATE_90,  # displayed after ROTATE_270
    7: PIL.Image.Transpose.TRANSVERSE,
    8: PIL.Image.Transpose.ROTATE_270,  # displayed after ROTATE_90
}


@dataclass
class NastyFolder:
    """
    `root` is laid out as `<label>/<files>`. `images` maps each readable image (relative to `root`,
    as a reader names it) to its label; `pixels` gives the RGB colour some of them must have at
    their top-left and bottom-right corners once decoded and upright; `skipped` counts the files a
    reader must skip by category; `labels_without_images` are the label folders left empty.
    """

    root: Path
    images: Dict[str, str] = field(default_factory=dict)
    pixels: Dict[str, Tuple[Tuple[int, int, int], Tuple[int, int, int]]] = field(default_factory=dict)
    skipped: Dict[str, int] = field(default_factory=dict)
    labels_without_images: List[str] = field(default_factory=list)


def upright_picture() -> PIL.Image.Image:
    """16 wide and 8 high: red in the top-left quarter, blue elsewhere."""
    pixels = numpy.empty((8, 16, 3), dtype=numpy.uint8)
    pixels[:] = BLUE
    pixels[:4, :8] = RED
    return PIL.Image.fromarray(pixels, mode="RGB")


def solid(colour, size=(8, 8), mode="RGB") -> PIL.Image.Image:
    return PIL.Image.new("RGB", size, colour).convert(mode)


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims `width` x `height` pixels, with (almost) no pixel data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 16)) + chunk(b"IEND", b"")


def encoded(image: PIL.Image.Image, format: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=format, **options)
    return buffer.getvalue()


def noise(size: int = 64, seed: int = 0) -> PIL.Image.Image:
    rng = numpy.random.default_rng(seed)
    return PIL.Image.fromarray(rng.integers(0, 255, (size, size, 3), dtype=numpy.uint8), mode="RGB")


def write_nasty_folder(base: Path) -> NastyFolder:
    """Writes `base/nasty` (the data) and `base/outside` (what some of its symlinks point to)."""
    root = base / "nasty"
    outside = base / "outside"
    for folder in (root / "cat", root / "dog", root / "empty_class", root / "broken_class", outside / "more_dogs"):
        folder.mkdir(parents=True)
    nasty = NastyFolder(root, labels_without_images=["broken_class", "empty_class"])

    def good(relative: str, label: str, image: PIL.Image.Image, format: str, corners=None, **options):
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        image.save(root / relative, format=format, **options)
        nasty.images[relative] = label
        if corners is not None:
            nasty.pixels[relative] = corners

    def bad(relative: str, category: str, contents: bytes = b"") -> None:
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_bytes(contents)
        nasty.skipped[category] = nasty.skipped.get(category, 0) + 1

    # Valid but unusual images.
    red, blue = (RED, RED), (BLUE, BLUE)
    good("cat/cmyk.jpg", "cat", solid(RED, mode="CMYK"), "JPEG", red, quality=95)
    good("cat/grey.png", "cat", solid((90, 90, 90), mode="L"), "PNG", ((90,) * 3, (90,) * 3))
    deep = PIL.Image.fromarray(numpy.full((8, 8), 0x8000, dtype=numpy.uint16))
    good("cat/deep16.png", "cat", deep, "PNG", ((128,) * 3, (128,) * 3))
    palette = solid(RED).quantize(colors=2)
    good("cat/palette_transparent.png", "cat", palette, "PNG", red, transparency=0)
    good("cat/rgba.png", "cat", solid(BLUE + (128,), mode="RGBA"), "PNG", blue)
    frames = [solid(RED), solid(BLUE)]
    good("cat/animated.gif", "cat", frames[0], "GIF", red, save_all=True, append_images=frames[1:], duration=50, loop=0)
    good("cat/one_pixel.png", "cat", solid(BLUE, size=(1, 1)), "PNG", blue)
    for orientation, transpose in _STORED_AS.items():
        stored = upright_picture() if transpose is None else upright_picture().transpose(transpose)
        exif = PIL.Image.Exif()
        exif[0x0112] = orientation
        good(f"cat/orientation_{orientation}.jpg", "cat", stored, "JPEG", (RED, BLUE), exif=exif, quality=95)
    # Awkward names and paths.
    good("cat/über katze 猫.JPG", "cat", solid(RED), "JPEG", red, quality=95)
    good("cat/nested/deeper/kitten.Png", "cat", solid(RED), "PNG", red)
    good("dog/with space.PNG", "dog", solid(BLUE), "PNG", blue)
    good("dog/plain.jpeg", "dog", solid(BLUE), "JPEG", blue, quality=95)
    solid(BLUE).save(outside / "lonely_dog.png")
    (root / "dog" / "linked_file.png").symlink_to(outside / "lonely_dog.png")
    nasty.images["dog/linked_file.png"] = "dog"
    solid(BLUE).save(outside / "more_dogs" / "a.png")
    solid(BLUE).save(outside / "more_dogs" / "b.jpg", quality=95)
    (root / "dog" / "linked_folder").symlink_to(outside / "more_dogs", target_is_directory=True)
    nasty.images.update({"dog/linked_folder/a.png": "dog", "dog/linked_folder/b.jpg": "dog"})

    # Broken files.
    jpeg, png = encoded(noise(), "JPEG"), encoded(noise(), "PNG")
    bad("cat/empty.jpg", "empty file")
    bad("cat/truncated.jpg", "truncated", jpeg[: len(jpeg) // 2])
    bad("dog/truncated.png", "truncated", png[: len(png) // 2])
    bad("cat/page.jpg", "not an image", b"<!DOCTYPE html><html><body>404 Not Found</body></html>")
    bad("dog/notes.jpg", "not an image", "just some text, saved as .jpg\n".encode())
    bad("cat/bomb.png", "too large", png_header_only(20_000, 20_000))  # PIL refuses it outright
    bad("dog/huge.png", "too large", png_header_only(10_000, 9_000))  # over the limit, PIL only warns
    # Files that are not images.
    bad("cat/Thumbs.db", "not an image file", b"\xd0\xcf\x11\xe0 thumbnail cache")
    bad("dog/labels.txt", "not an image file", b"dog\n")
    bad("cat/.DS_Store", "hidden file", b"\0\0\0\1Bud1")
    bad("dog/.hidden.png", "hidden file", png)
    (root / "cat" / ".ipynb_checkpoints").mkdir()
    (root / "cat" / ".ipynb_checkpoints" / "kitten-checkpoint.png").write_bytes(png)
    nasty.skipped["hidden folder"] = 1
    # Symlinks that must not be read (again).
    (root / "cat" / "alias.jpg").symlink_to(root / "cat" / "über katze 猫.JPG")
    nasty.skipped["duplicate"] = 1
    (root / "dog" / "dangling.png").symlink_to(outside / "deleted.png")
    nasty.skipped["missing"] = 1
    (root / "dog" / "loop").symlink_to(root / "dog", target_is_directory=True)
    nasty.skipped["symlink loop"] = 1
    # A class folder with only broken files (the empty one is made above).
    bad("broken_class/empty.jpg", "empty file")
    bad("broken_class/junk.png", "not an image", b"\x00\x01 junk bytes")
    # Not a label folder at all.
    (root / ".git").mkdir()
    (root / ".git" / "HEAD").write_bytes(b"ref: refs/heads/main\n")
    return nasty
