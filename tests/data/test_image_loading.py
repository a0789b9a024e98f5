import io

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
