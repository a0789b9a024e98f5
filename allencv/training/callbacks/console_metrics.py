from typing import Any, Dict

from allennlp.training.callbacks.callback import TrainerCallback
from allennlp.training.callbacks.console_logger import ConsoleLoggerCallback

from allencv.training.metrics_table import is_per_label


@TrainerCallback.register("console_metrics")
class ConsoleMetrics(ConsoleLoggerCallback):
    """
    allennlp's `console_logger` with a shorter log: each epoch's table holds the overall metrics
    only (the per-label ones are in `metrics_epoch_N.json`, and `metrics_summary` prints them at
    the end), and the first batch's input tensors are not logged unless `should_log_inputs`.
    Shipped configs use it with `enable_default_callbacks: false`, in place of `console_logger`.

    Registered as a `TrainerCallback` with name "console_metrics".

    # Parameters

    should_log_inputs : `bool`, optional (default = `False`)
        Log the first batch's input tensors, as allennlp's `console_logger` does by default.
    """

    def __init__(self, serialization_dir: str, should_log_inputs: bool = False) -> None:
        super().__init__(serialization_dir, should_log_inputs)

    def on_epoch(
        self,
        trainer: Any,
        metrics: Dict[str, Any],
        epoch: int,
        is_primary: bool = True,
        **kwargs,
    ) -> None:
        kept = {key: value for key, value in metrics.items() if not is_per_label(unprefixed(key))}
        super().on_epoch(trainer, kept, epoch, is_primary, **kwargs)


def unprefixed(key: str) -> str:
    """A metric's name without allennlp's `training_`, `validation_` or `best_validation_` prefix."""
    for prefix in ("best_validation_", "training_", "validation_"):
        if key.startswith(prefix):
            return key[len(prefix):]
    return key
