"""The optional `webdataset` package, imported when shards are first read or written."""
from types import ModuleType

from allennlp.common.checks import ConfigurationError


def webdataset() -> ModuleType:
    """The `webdataset` module, or a `ConfigurationError` saying how to install it."""
    try:
        import webdataset as wds
    except ImportError as error:
        raise ConfigurationError(
            f"Reading and writing tar shards needs the webdataset package ({error}); install it "
            "with `pip install 'allencv[shards]'` (or `pip install webdataset`)."
        ) from error
    return wds
