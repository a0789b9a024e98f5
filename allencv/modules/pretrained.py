"""
Building torchvision models by name with their pretrained weights: torchvision's weights API and
its cache (`$TORCH_HOME/hub/checkpoints`), or a local file. Besides torchvision's own models,
`EXTRA_MODELS` (EfficientNet-Lite0) are built the same way, by name.
"""
import inspect
import logging
import os
import typing
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
    """
    Pretrained weights that are neither cached nor downloadable (e.g. offline). The message says
    what failed (`problem`), where to put the file (`local_file`), and which keys give a local
    checkpoint (`weights_path`) or turn the weights off (`turn_off`, each key's value for that).
    Built from a config (see `NamesConfigKeys`), the keys are spelt with their full path, such as
    `model.im2im_encoder.weights`; `prefix` is that path (`None` until it is known).
    """

    def __init__(self, problem: str, local_file: str, turn_off: Dict[str, str], prefix: Optional[str] = None) -> None:
        self.problem, self.local_file, self.turn_off, self.prefix = problem, local_file, dict(turn_off), prefix
        off = " and ".join(f"`{prefix or ''}{key}` to {value}" for key, value in turn_off.items())
        super().__init__(
            f"{problem} Offline, {local_file}, or give a local checkpoint with `{prefix or ''}weights_path`, "
            f"or set {off} to train from scratch."
        )

    def located(self, prefix: str) -> "PretrainedWeightsUnavailable":
        """This error with its keys under `prefix` (e.g. `"model.im2im_encoder."`)."""
        return PretrainedWeightsUnavailable(self.problem, self.local_file, self.turn_off, prefix)


class NamesConfigKeys:
    """
    A mix-in for `FromParams` classes whose constructors may fetch pretrained weights: a
    `PretrainedWeightsUnavailable` raised while building one from a config names the keys to
    change by their full path in the config (allennlp's `Params.history`, e.g.
    `model.im2im_encoder.weights`), found where the innermost such object was built.
    """

    @classmethod
    def from_params(cls, params: Any, constructor_to_call=None, constructor_to_inspect=None, **extras: Any):
        try:
            return super().from_params(  # type: ignore[misc]
                params, constructor_to_call=constructor_to_call, constructor_to_inspect=constructor_to_inspect, **extras
            )
        except PretrainedWeightsUnavailable as error:
            if error.prefix is not None:
                raise
            raise error.located(getattr(params, "history", "")) from error.__cause__


@contextmanager
def pretrained_weights_skipped() -> Iterator[None]:
    """
    Within this block `build_torchvision_model` ignores `weights`, `weights_path` and
    `weights_backbone`, and `pretrained_state_dict` gives none: for loading a trained archive,
    whose own weights replace them, on a machine that may not have them.
    """
    token = _SKIP_PRETRAINED.set(True)
    try:
        yield
    finally:
        _SKIP_PRETRAINED.reset(token)


def pretrained_weights_are_skipped() -> bool:
    """Whether this is inside `pretrained_weights_skipped()` (e.g. loading a trained archive)."""
    return _SKIP_PRETRAINED.get()


def build_torchvision_model(
    name: str, weights: Optional[str] = None, weights_path: Optional[str] = None, **kwargs: Any
) -> torch.nn.Module:
    """
    `torchvision.models.get_model(name)`, initialised from:

    - `weights_path`, a local checkpoint (a state dict, or a dict holding one under `state_dict`
      or `model`), loaded with `weights_only=True`; or else
    - `weights`, a torchvision weights name such as `"DEFAULT"` or `"IMAGENET1K_V2"`, fetched
      through torchvision's weights API into its cache (`$TORCH_HOME/hub/checkpoints`); or else
    - random initialisation, when both are `None` (or inside `pretrained_weights_skipped()`),
      except for a backbone's `weights_backbone` (a name, as `weights`), which is also ignored
      inside `pretrained_weights_skipped()`.

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
        if "weights_backbone" in kwargs:
            kwargs["weights_backbone"] = None
    if name in EXTRA_MODELS:
        state_dict = load_state_dict(weights_path) if weights_path is not None else None
        return EXTRA_MODELS[name][0](weights=weights, state_dict=state_dict, **kwargs)
    if weights_path is not None:
        model = torchvision.models.get_model(name, weights=None, **kwargs)
        try:
            model.load_state_dict(load_state_dict(weights_path))
        except RuntimeError as error:
            raise ConfigurationError(f"weights_path {weights_path} does not hold {name}'s weights: {error}")
        return model
    weights_enum = resolve_weights(name, weights) if weights is not None else None
    if weights_enum is None and kwargs.get("weights_backbone") is not None:
        kwargs["weights_backbone"] = resolve_backbone_weights(name, kwargs["weights_backbone"])
    fetched = weights_enum if weights_enum is not None else kwargs.get("weights_backbone")
    if fetched is None:
        return torchvision.models.get_model(name, weights=None, **kwargs)
    with _downloading(name, fetched, "weights" if weights_enum is not None else "weights_backbone"):
        return torchvision.models.get_model(name, weights=weights_enum, **kwargs)


def pretrained_state_dict(
    name: str, weights: Optional[str] = None, weights_path: Optional[str] = None
) -> Optional[Dict[str, torch.Tensor]]:
    """
    The parameters of torchvision's `name` from `weights_path` (a local checkpoint) or else
    `weights` (a weights name, through torchvision's cache), for a model that loads them itself;
    `None` when both are `None` or inside `pretrained_weights_skipped()`.
    """
    if _SKIP_PRETRAINED.get():
        return None
    if weights_path is not None:
        return load_state_dict(weights_path)
    if weights is None:
        return None
    weights_enum = resolve_weights(name, weights)
    with _downloading(name, weights_enum, "weights"):
        return weights_enum.get_state_dict(progress=True, check_hash=True)


@contextmanager
def _downloading(name: str, weights: WeightsEnum, key: str) -> Iterator[None]:
    """
    Turns a failed download of `weights` (given by the config key `key`) into an error saying
    where to put the file offline.
    """
    try:
        yield
    except (URLError, ConnectionError, TimeoutError) as error:
        cached = os.path.join(get_dir(), "checkpoints", os.path.basename(weights.url))
        raise PretrainedWeightsUnavailable(
            f"Could not download the {name} weights {weights} from {weights.url} ({error}).",
            f"put that file at {cached} (the cache under TORCH_HOME)",
            {key: "null"},
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


def resolve_backbone_weights(name: str, weights_backbone: str) -> WeightsEnum:
    """The weights enum member called `weights_backbone` of the backbone of torchvision's `name`."""
    parameter = inspect.signature(torchvision.models.get_model_builder(name)).parameters.get("weights_backbone")
    if parameter is None:
        raise ConfigurationError(f"{name} has no backbone weights (`weights_backbone`); set it to null.")
    weights_class = next(
        kind for kind in typing.get_args(parameter.annotation) if isinstance(kind, type) and issubclass(kind, WeightsEnum)
    )
    try:
        return weights_class.verify(weights_backbone)
    except KeyError:
        names = ["DEFAULT"] + [member.name for member in weights_class]
        raise ConfigurationError(
            f"{name}'s backbone has no weights called {weights_backbone!r}; choose one of "
            f"{', '.join(names)}, or null."
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
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch.load fails on other files with errors of many kinds
        raise ConfigurationError(f"weights_path {path} is not a PyTorch checkpoint ({error}).")
    for key in ("state_dict", "model"):
        if isinstance(checkpoint, dict) and isinstance(checkpoint.get(key), dict):
            checkpoint = checkpoint[key]
    if not isinstance(checkpoint, dict) or not all(isinstance(value, torch.Tensor) for value in checkpoint.values()):
        raise ConfigurationError(
            f"weights_path {path} holds no state dict (a dict of tensors, or one under `state_dict` or `model`)."
        )
    return checkpoint
