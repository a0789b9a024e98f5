import difflib
import inspect
from typing import Any, Dict

from allennlp.common.checks import ConfigurationError


def reject_extra_parameters(owner: object, extra: Dict[str, Any]) -> None:
    """
    Raises allennlp's "Extra parameters passed to ..." `ConfigurationError` (the one a class
    without `**kwargs` gets from `from_params`) for the keys of `extra`, the ones no constructor
    in `owner`'s class hierarchy takes, suggesting the closest parameter name of each.
    """
    if not extra:
        return
    known = {
        name for cls in type(owner).__mro__ if "__init__" in vars(cls)
        for name in inspect.signature(vars(cls)["__init__"]).parameters if name not in ("self", "kwargs")
    }
    hints = []
    for key in extra:
        close = difflib.get_close_matches(key, sorted(known), n=1)
        if close:
            hints.append(f"did you mean {close[0]!r} for {key!r}?")
    raise ConfigurationError(
        f"Extra parameters passed to {type(owner).__name__}: {extra}"
        + (f" ({'; '.join(hints)})" if hints else "")
    )
