"""
Building torchvision models by name with their pretrained weights: torchvision's weights API and
its cache (`$TORCH_HOME/hub/checkpoints`), or a local file. Besides torchvision's own models,
`EXTRA_MODELS` (EfficientNet-Lite0) are built the same way, by name.
"""
import logging
import os
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Callable, Dict, Iterator, Optional, Tuple, Type
from urllib.error import URLError

import torch
import torchvision
from allennlp.common.checks import ConfigurationError
from torch.hub import get_dir
from torchvision.models import WeightsEnum

from allencv.modules.efficientnet_lite import EfficientNet_Lite0_Weights, efficientnet_lite0

logger = logging.getLogger(__name__)


#: Classification models that are not torchvision's, built on its classes: each name's builder
#: (taking `weights`, a weights name, and `state_dict`, a loaded checkpoint) and weights enum.
EXTRA_MODELS: Dict[str, Tuple[Callable[..., torch.nn.Module], Type[WeightsEnum]]] = {
    "efficientnet_lite0": (efficientnet_lite0, EfficientNet_Lite0_Weights),
}

_SKIP_PRETRAINED: ContextVar[bool] = ContextVar("skip_pretrained_weights", default=False)


class PretrainedWeightsUnavailable(ConfigurationError):
    """Pretrained weights that are neither cached nor downloadable (e.g. offline)."""


@contextmanager
def pretrained_weights_skipped() -> Iterator[None]:
    """
    Within this block `build_torchvision_model` ignores `weights` and `weights_path`: for loading
    a trained archive, whose own weights replace them, on a machine that may not have them.
    """
    token = _SKIP_PRETRAINED.set(True)
    try:
        yield
    finally:
        _SKIP_PRETRAINED.reset(token)


def build_torchvision_model(
    name: str, weights: Optional[str] = None, weights_path: Optional[str] = None, **kwargs: Any
) -> torch.nn.Module:
    """
    `torchvision.models.get_model(name)`, initialised from:

    - `weights_path`, a local checkpoint (a state dict, or a dict holding one under `state_dict`
      or `model`), loaded with `weights_only=True`; or else
    - `weights`, a torchvision weights name such as `"DEFAULT"` or `"IMAGENET1K_V2"`, fetched
      through torchvision's weights API into its cache (`$TORCH_HOME/hub/checkpoints`); or else
    - random initialisation, when both are `None` (or inside `pretrained_weights_skipped()`).

    `name` may also be one of `EXTRA_MODELS`, whose own builder takes `weights` (for
    `efficientnet_lite0`, `"DEFAULT"` is the ImageNet file of an optional package).
    """
    available = torchvision.models.list_models()
    if name not in available and name not in EXTRA_MODELS:
        raise ConfigurationError(
            f"Unknown torchvision model {name!r}. Choose one of: "
            f"{', '.join(sorted(available + list(EXTRA_MODELS)))}."
        )
    if _SKIP_PRETRAINED.get():
        weights = weights_path = None
    if name in EXTRA_MODELS:
        state_dict = load_state_dict(weights_path) if weights_path is not None else None
        return EXTRA_MODELS[name][0](weights=weights, state_dict=state_dict, **kwargs)
    if weights_path is not None:
        model = torchvision.models.get_model(name, weights=None, **kwargs)
        model.load_state_dict(load_state_dict(weights_path))
        return model
    if weights is None:
        return torchvision.models.get_model(name, weights=None, **kwargs)
    weights_enum = resolve_weights(name, weights)
    try:
        return torchvision.models.get_model(name, weights=weights_enum, **kwargs)
    except (URLError, ConnectionError, TimeoutError) as error:
        cached = os.path.join(get_dir(), "checkpoints", os.path.basename(weights_enum.url))
        raise PretrainedWeightsUnavailable(
            f"Could not download the {name} weights {weights_enum} from {weights_enum.url} "
            f"({error}). Offline, put that file at {cached} (the cache under TORCH_HOME), or "
            "give a local checkpoint with `weights_path`, or set `weights` to null to train "
            "from scratch."
        ) from error


def resolve_weights(name: str, weights: str) -> WeightsEnum:
    """The torchvision weights enum member called `weights` ("DEFAULT", "IMAGENET1K_V1", ...)."""
    if name in EXTRA_MODELS:
        weights_class = EXTRA_MODELS[name][1]
    else:
        weights_class = torchvision.models.get_model_weights(name)
    try:
        return weights_class[weights]
    except KeyError:
        names = ["DEFAULT"] + [member.name for member in weights_class]
        raise ConfigurationError(
            f"{name} has no weights called {weights!r}; choose one of {', '.join(names)}, or null."
        )


def get_weights(name: str) -> WeightsEnum:
    """
    Weights by their full name, such as `"ResNet50_Weights.IMAGENET1K_V2"` (torchvision's
    `get_weight`), or `"EfficientNet_Lite0_Weights.DEFAULT"` for `EXTRA_MODELS`' weights.
    """
    enum_name, _, member = name.partition(".")
    for _, weights_class in EXTRA_MODELS.values():
        if weights_class.__name__ == enum_name:
            return weights_class[member]
    return torchvision.models.get_weight(name)


def load_state_dict(path: str) -> Dict[str, torch.Tensor]:
    """
    A state dict from a local checkpoint file, loaded with `weights_only=True` so that an
    untrusted file cannot run code.
    """
    if not os.path.isfile(path):
        raise ConfigurationError(f"weights_path {path} is not a file.")
    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    for key in ("state_dict", "model"):
        if isinstance(checkpoint, dict) and isinstance(checkpoint.get(key), dict):
            checkpoint = checkpoint[key]
    return checkpoint
