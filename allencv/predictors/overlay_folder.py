import itertools
from pathlib import Path
from typing import Optional

import PIL.Image


class OverlayFolder:
    """
    The folder a predictor's `overlay_dir` names, created at once. Each overlay is saved there as
    `<number>_<the image file's stem><suffix>.png` (`image` for an input without a file), numbered
    in the order written, so that inputs with the same file name do not overwrite each other.
    """

    def __init__(self, path: str) -> None:
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self._numbers = itertools.count()

    def save(self, picture: PIL.Image.Image, image_path: Optional[str], suffix: str = "") -> str:
        """Saves `picture` for the input `image_path`; returns the PNG's path."""
        stem = Path(image_path).stem if image_path else "image"
        path = self.path / f"{next(self._numbers):05d}_{stem}{suffix}.png"
        picture.save(path)
        return str(path)
