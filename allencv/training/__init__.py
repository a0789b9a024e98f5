from allencv.training import metrics  # noqa: F401
