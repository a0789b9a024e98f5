from typing import Any, Dict, List, Optional

from allennlp.data import TensorDict
from allennlp.training.callbacks.callback import TrainerCallback
from allennlp.training.callbacks.console_logger import ConsoleLoggerCallback

from allencv.training.callbacks.images_per_second import ImagesPerSecond
from allencv.training.metrics_table import is_per_label


@TrainerCallback.register("console_metrics")
class ConsoleMetrics(ConsoleLoggerCallback):
    """
    allennlp's `console_logger` with a shorter log: each epoch's table holds the overall metrics
    only (the per-label ones and the memory usage are in `metrics_epoch_N.json`, and
    `metrics_summary` prints them at the end), the first batch's input tensors are not logged unless `should_log_inputs`, and the
progress bar shows `images_per_s` (see `images_per_second`).
    Shipped configs use it with `enable_default_callbacks: false`, in place of `console_logger`.

    Registered as a `TrainerCallback` with name "console_metrics".

    # Parameters

    should_log_inputs : `bool`, optional (default = `False`)
        Log the first batch's input tensors, as allennlp's `console_logger` does by default.
    """

    def __init__(self, serialization_dir: str, should_log_inputs: bool = False) -> None:
        super().__init__(serialization_dir, should_log_inputs)
        self._images_per_second = ImagesPerSecond(serialization_dir)

    def on_batch(
        self,
        trainer: Any,
        batch_inputs: List[TensorDict],
        batch_outputs: List[Dict[str, Any]],
        batch_metrics: Dict[str, Any],
        epoch: int,
        batch_number: int,
        is_training: bool,
        is_primary: bool = True,
        batch_grad_norm: Optional[float] = None,
        **kwargs,
    ) -> None:
        super().on_batch(
            trainer, batch_inputs, batch_outputs, batch_metrics, epoch, batch_number, is_training, is_primary, batch_grad_norm, **kwargs
        )
        self._images_per_second.on_batch(
            trainer, batch_inputs, batch_outputs, batch_metrics, epoch, batch_number, is_training, is_primary, batch_grad_norm, **kwargs
        )

    def on_epoch(
        self,
        trainer: Any,
        metrics: Dict[str, Any],
        epoch: int,
        is_primary: bool = True,
        **kwargs,
    ) -> None:
        kept = {
            key: value
            for key, value in metrics.items()
            if not is_per_label(unprefixed(key)) and not key.endswith("_memory_MB")
        }
        super().on_epoch(trainer, kept, epoch, is_primary, **kwargs)


def unprefixed(key: str) -> str:
    """A metric's name without allennlp's `training_`, `validation_` or `best_validation_` prefix."""
    for prefix in ("best_validation_", "training_", "validation_"):
        if key.startswith(prefix):
            return key[len(prefix):]
    return key
