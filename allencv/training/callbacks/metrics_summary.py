import logging
from typing import Any, Dict, Optional

from allennlp.training import gradient_descent_trainer
from allennlp.training.callbacks.callback import TrainerCallback

from allencv.training.callbacks.images_per_second import ImagesPerSecond

from allencv.training.metrics_table import metrics_table, support_by_label

logger = logging.getLogger(__name__)

#: The prefixes allennlp gives the last epoch's metrics at the end of training, as table columns.
SPLITS = ("training", "validation", "test")


@TrainerCallback.register("metrics_summary")
class MetricsSummary(TrainerCallback):
    """
    At the end of training, logs the last epoch's metrics as one table: a column each for
    training and validation (and test, with `evaluate_on_test`), a row per metric, then a row per
    label of the validation metrics (`precision_<label>`, `recall_<label>`, `f1_<label>`, and
    each label's support for a classifier). The full numbers stay in `metrics.json`.

    Registered as a `TrainerCallback` with name "metrics_summary".
    """

    def __init__(self, serialization_dir: str) -> None:
        super().__init__(serialization_dir)

    def on_end(
        self,
        trainer: Any,
        metrics: Optional[Dict[str, Any]] = None,
        epoch: Optional[int] = None,
        is_primary: bool = True,
        **kwargs,
    ) -> None:
        if not is_primary or not metrics:
            return
        columns = {
            split: {key[len(split) + 1:]: value for key, value in metrics.items() if key.startswith(split + "_")}
            for split in SPLITS
        }
        columns = {split: values for split, values in columns.items() if values}
        if not columns:
            return
        model = trainer.model if trainer is not None else None
        get_confusion_matrix = getattr(model, "get_confusion_matrix", None)
        # The last reset was the last validation's (or training's, without validation data).
        support = support_by_label(get_confusion_matrix()) if get_confusion_matrix is not None else None
        last = "validation" if "validation" in columns else list(columns)[0]
        best = metrics.get("best_epoch")
        heading = f"Metrics of epoch {metrics.get('epoch')}" + (f" (best epoch: {best})" if best is not None else "")
        logger.info("%s:\n%s", heading, metrics_table(columns, last, support))


def add_to_the_default_callbacks() -> None:
    """
    Adds `metrics_summary` and `images_per_second` to allennlp's default callbacks (after its
    `console_logger`), so a config that sets no callbacks gets the table at the end of training and
    the images/s in the bar. `enable_default_callbacks: false` still leaves them all out.
    """
    defaults = tuple(gradient_descent_trainer.DEFAULT_CALLBACKS)
    added = tuple(callback for callback in (ImagesPerSecond, MetricsSummary) if callback not in defaults)
    gradient_descent_trainer.DEFAULT_CALLBACKS = defaults + added
