import io
import os
from pathlib import Path

import numpy
import PIL.Image
import pytest
import torch

from allencv.data import image_loading
from allencv.data.image_loading import ImageLoadError, load_image


def encoded(image: PIL.Image.Image, format: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=format)
    return buffer.getvalue()


def test_loads_any_source_as_uint8_rgb(tmp_path):
    pil = PIL.Image.new("L", (5, 3), color=200)
    pil.save(tmp_path / "grey.BMP")
    sources = [tmp_path / "grey.BMP", str(tmp_path / "grey.BMP"), encoded(pil), pil, numpy.asarray(pil)]
    for source in sources:
        image = load_image(source)
        assert image.dtype == torch.uint8
        assert tuple(image.shape) == (3, 3, 5)
        assert int(image[0, 0, 0]) == 200


def test_float_arrays_in_unit_range_are_scaled():
    image = load_image(torch.full((3, 2, 2), 0.5))
    assert int(image[0, 0, 0]) == 128


def test_exif_orientation_is_applied(tmp_path):
    pil = PIL.Image.new("RGB", (4, 2), color=(255, 0, 0))
    exif = PIL.Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    pil.save(tmp_path / "rotated.jpg", exif=exif)
    assert tuple(load_image(tmp_path / "rotated.jpg").shape) == (3, 4, 2)


@pytest.mark.parametrize(
    "contents, category",
    [(b"", "empty file"), (b"<html>hello</html>", "not an image")],
)
def test_bad_files_raise_with_category_and_path(tmp_path, contents, category):
    path = tmp_path / "bad.jpg"
    path.write_bytes(contents)
    with pytest.raises(ImageLoadError) as info:
        load_image(path)
    assert info.value.category == category
    assert str(path) in str(info.value)


def test_truncated_jpeg_is_not_half_read(tmp_path):
    data = encoded(PIL.Image.new("RGB", (64, 64), color=(1, 2, 3)), "JPEG")
    path = tmp_path / "truncated.jpg"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageLoadError) as info:
        load_image(path)
    assert info.value.category == "truncated"


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(ImageLoadError, match="missing"):
        load_image(tmp_path / "nope.png")
    with pytest.raises(ImageLoadError, match="directory"):
        load_image(tmp_path)


def test_too_many_pixels_is_refused():
    with pytest.raises(ImageLoadError) as info:
        load_image(PIL.Image.new("RGB", (100, 100)), max_pixels=9_999)
    assert info.value.category == "too large"


@pytest.mark.parametrize("format, suffix", [("JPEG", "jpg"), ("PNG", "png")])
@pytest.mark.parametrize("mode", ["RGB", "L"])
def test_torchvision_decodes_exactly_what_pil_decodes(tmp_path, monkeypatch, format, suffix, mode):
    rng = numpy.random.default_rng(0)
    pixels = rng.integers(0, 256, size=(24, 40, 3), dtype=numpy.uint8)
    pil = PIL.Image.fromarray(pixels).convert(mode)
    exif = PIL.Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    path = tmp_path / f"image.{suffix}"
    pil.save(path, exif=exif)
    calls = []
    decode = image_loading.decode_image
    monkeypatch.setattr(image_loading, "decode_image", lambda *args, **kwargs: calls.append(1) or decode(*args, **kwargs))

    fast = load_image(path)
    with PIL.Image.open(path) as opened:
        through_pil = load_image(opened)
    assert calls == [1]
    assert tuple(fast.shape) == (3, 40, 24)
    assert torch.equal(fast, through_pil)
    assert torch.equal(load_image(path.read_bytes()), fast)


def jpeg_claiming_size(width: int, height: int) -> bytes:
    """A 16x16 JPEG whose header (its SOF0 segment) says `width` x `height`."""
    data = bytearray(encoded(PIL.Image.new("RGB", (16, 16), color=(200, 30, 30)), "JPEG"))
    start = data.find(b"\xff\xc0")
    data[start + 5 : start + 9] = height.to_bytes(2, "big") + width.to_bytes(2, "big")
    return bytes(data)


def test_a_jpeg_whose_header_claims_more_pixels_than_its_data_holds_is_refused(tmp_path):
    path = tmp_path / "lies.jpg"
    path.write_bytes(jpeg_claiming_size(6000, 6000))
    with pytest.raises(ImageLoadError) as info:
        load_image(path)
    assert info.value.category == "truncated"
    assert "header says 6000x6000 pixels" in str(info.value) and str(path) in str(info.value)
    for size in ((32, 32), (2000, 2000)):  # a real one of the same size loads, even a flat one
        flat = encoded(PIL.Image.new("L", size, color=128), "JPEG")
        assert tuple(load_image(flat).shape) == (3, size[1], size[0])


def test_max_pixels_may_be_raised_above_pils_own_limit(monkeypatch):
    monkeypatch.setattr(PIL.Image, "MAX_IMAGE_PIXELS", 50)  # PIL refuses over 2 x 50 pixels
    image = encoded(PIL.Image.new("RGB", (16, 16)))
    assert tuple(load_image(image, max_pixels=1000).shape) == (3, 16, 16)
    with pytest.raises(ImageLoadError, match="16x16 pixels is over the limit of 200;"):
        load_image(image, max_pixels=200)
    assert PIL.Image.MAX_IMAGE_PIXELS == 50


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_a_fifo_or_device_is_named_for_what_it_is_and_never_opened(tmp_path, kind):
    if kind == "fifo":
        path = tmp_path / "pipe.png"
        os.mkfifo(path)  # opening it would block for ever
        expected = "it is a FIFO (named pipe)"
    else:
        path, expected = Path("/dev/null"), "it is a device file"
    with pytest.raises(ImageLoadError) as info:
        load_image(path)
    assert info.value.category == "not a file" and expected in str(info.value)
