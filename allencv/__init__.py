"""
AllenCV: computer vision for the AllenNLP ecosystem.

Importing `allencv` (or any of its submodules, e.g. with `--include-package allencv`) registers
every dataset reader, field, transform, encoder, model and predictor it provides.
"""
try:
    import allennlp  # noqa: F401
except ImportError as error:  # pragma: no cover - exercised in a subprocess by the tests
    raise ImportError(
        "AllenCV needs allennlp 2.10.1, which could not be imported "
        f"({error}). allennlp pins torch<1.13, so install it without its dependencies: "
        "run `make install` in the AllenCV checkout, or "
        "`pip install torch==2.14.1 torchvision==0.29.1 && pip install --no-deps allennlp==2.10.1 "
        "&& pip install -r requirements.txt`."
    ) from error

from allencv.version import VERSION as __version__  # noqa: F401
from allencv import safe_extraction  # noqa: F401  (first: every archive allennlp loads is extracted safely)
# `reports` (matplotlib) and `service` (FastAPI, uvicorn) are left out: they load when used.
from allencv import commands, data, evaluation, modules, models, predictors, training  # noqa: F401
