"""
Serving a trained archive over HTTP: a JSON API and a web page (see tutorials/serving.md).
"""

from allencv.service.settings import ServiceSettings


def __getattr__(name: str):
    # `create_app` imports FastAPI: it loads on first use, so that the `serve` command (imported
    # by `import allencv`, to register it) can read the default settings cheaply.
    if name == "create_app":
        from allencv.service.app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
