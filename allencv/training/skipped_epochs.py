"""
Honest epoch lines after `allennlp train --recover`.

On recovery, allennlp's `GradientDescentTrainer` still calls `_train_epoch` for every epoch the
checkpoint already holds: it reads those epochs' batches without training on them, so that the
data order and random augmentations of the epochs it does train are those of an uninterrupted
run. `_train_epoch` logs "Epoch 0/3", the memory usage and "Training" all the same, so the log
reads as if the finished epochs were trained again. Importing `allencv` wraps `_train_epoch` so
that a skipped epoch logs one line saying so instead.
"""
import functools
import logging

from allennlp.training import gradient_descent_trainer
from allennlp.training.gradient_descent_trainer import GradientDescentTrainer

#: The lines `_train_epoch` logs before its first batch (their format strings).
EPOCH_START_LINES = ("Epoch %d/%d", "Training")


class SkippedEpochLines(logging.Filter):
    """Rewrites the trainer's "Epoch N/M" line of a skipped epoch and drops its other start lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg == "Epoch %d/%d":
            record.msg = (
                "Epoch %d/%d was trained before the recovery: reading its batches without training "
                "(same data order and augmentations as an uninterrupted run)"
            )
            return True
        return record.msg not in EPOCH_START_LINES and " memory usage: " not in record.getMessage()


def log_skipped_epochs_as_skipped() -> None:
    original = GradientDescentTrainer._train_epoch
    if getattr(original, "logs_skipped_epochs", False):
        return

    @functools.wraps(original)
    def _train_epoch(self, epoch: int):
        if self._epochs_completed >= self._start_after_epochs_completed:
            return original(self, epoch)
        skipped = SkippedEpochLines()
        gradient_descent_trainer.logger.addFilter(skipped)
        try:
            return original(self, epoch)
        finally:
            gradient_descent_trainer.logger.removeFilter(skipped)

    _train_epoch.logs_skipped_epochs = True
    GradientDescentTrainer._train_epoch = _train_epoch
