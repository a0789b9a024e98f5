import os
from typing import Any, Dict, List, Optional

from allennlp.common.util import dump_metrics
from allennlp.training.callbacks import TrainerCallback


@TrainerCallback.register("drop_unmeasured_validation_loss")
class DropUnmeasuredValidationLoss(TrainerCallback):
    """
    allennlp's trainer reports a validation `loss` of 0 when the model's validation outputs have
    no `loss`, as torchvision's detectors' do (they compute losses in training mode only). After
    an epoch whose validation batches gave no `loss`, this callback removes that made-up 0:
    `validation_loss` and `best_validation_loss` leave the epoch's metrics, and so the console
    log, `metrics_epoch_<n>.json` and `metrics.json`. A model that does compute a validation loss
    keeps it. Select the best epoch by a metric the model reports instead (the detection configs
    use `validation_metric: "+map_50"`).

    Registered as a `TrainerCallback` with name "drop_unmeasured_validation_loss".
    """

    def __init__(self, serialization_dir: str) -> None:
        super().__init__(serialization_dir)
        # Whether the latest validation gave a loss (None before the first), and its epoch.
        self._loss_measured: Optional[bool] = None
        self._validated_epoch: Optional[int] = None

    def on_batch(  # type: ignore
        self,
        trainer,
        batch_inputs: List[Dict[str, Any]],
        batch_outputs: List[Dict[str, Any]],
        batch_metrics: Dict[str, Any],
        epoch: int,
        batch_number: int,
        is_training: bool,
        is_primary: bool = True,
        **kwargs,
    ) -> None:
        if is_training:
            return
        if self._validated_epoch != epoch:
            self._validated_epoch, self._loss_measured = epoch, False
        self._loss_measured = self._loss_measured or any("loss" in output for output in batch_outputs)

    def on_epoch(self, trainer, metrics: Dict[str, Any], epoch: int, is_primary: bool = True, **kwargs) -> None:
        if self._loss_measured is not False:
            return
        metrics.pop("validation_loss", None)
        metrics.pop("best_validation_loss", None)
        # The trainer wrote this epoch's metrics before calling back.
        path = os.path.join(self.serialization_dir, f"metrics_epoch_{epoch}.json")
        if is_primary and os.path.exists(path):
            dump_metrics(path, metrics)
