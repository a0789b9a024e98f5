"""Fixtures of the manifest readers' tests."""
import pytest

from tests.conftest import colour_image


@pytest.fixture
def images(tmp_path):
    """`tmp_path/images/` with `a.png` (red), `b.png` (blue) and an undecodable `broken.png`."""
    (tmp_path / "images").mkdir()
    for name, colour in [("a", (200, 0, 0)), ("b", (0, 0, 200))]:
        colour_image(colour, size=16).save(tmp_path / "images" / f"{name}.png")
    (tmp_path / "images" / "broken.png").write_bytes(b"not a png")
    return tmp_path
