"""
A test-only trainer callback that holds a run still at a chosen batch, so a test can kill it at a
known point mid-epoch. It pauses once per serialization directory: a recovered run goes on.
"""
import time
from pathlib import Path

from allennlp.training.callbacks import TrainerCallback

MARKER = "paused_for_kill"


@TrainerCallback.register("pause_for_kill")
class PauseForKill(TrainerCallback):
    def __init__(self, serialization_dir: str, epoch: int, batch: int, seconds: float = 300) -> None:
        super().__init__(serialization_dir)
        self.epoch = epoch
        self.batch = batch
        self.seconds = seconds

    def on_batch(self, trainer, batch_inputs, batch_outputs, batch_metrics, epoch, batch_number,
                 is_training, is_primary=True, batch_grad_norm=None, **kwargs) -> None:
        marker = Path(self.serialization_dir) / MARKER
        if is_training and (epoch, batch_number) == (self.epoch, self.batch) and not marker.exists():
            marker.write_text(f"epoch {epoch}, batch {batch_number}\n")
            time.sleep(self.seconds)
