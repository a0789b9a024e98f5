"""
Test-only trainer callbacks that hold a run still at a chosen batch, so a test can kill it at a
known point mid-epoch: `pause_for_kill` between batches, `pause_during_checkpoint_write` halfway
through writing that batch's model-state checkpoint. Each pauses once per serialization
directory: a recovered run goes on.
"""
import io
import time
from pathlib import Path

import torch
from allennlp.training.callbacks import TrainerCallback

from allencv.training.checkpointer import wait_for_checkpoint_writes

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
            wait_for_checkpoint_writes()  # so that the test knows which checkpoint is the last
            marker.write_text(f"epoch {epoch}, batch {batch_number}\n")
            time.sleep(self.seconds)


@TrainerCallback.register("pause_during_checkpoint_write")
class PauseDuringCheckpointWrite(PauseForKill):
    """
    After batch `batch` of epoch `epoch`, the checkpoint written next (that batch's) writes the
    first half of its model state, flushes it, writes the marker and sleeps: a kill then lands in
    the middle of the write. It wraps `torch.save`, which the checkpointer calls on its open file.
    """

    def on_batch(self, trainer, batch_inputs, batch_outputs, batch_metrics, epoch, batch_number,
                 is_training, is_primary=True, batch_grad_norm=None, **kwargs) -> None:
        marker = Path(self.serialization_dir) / MARKER
        if is_training and (epoch, batch_number) == (self.epoch, self.batch) and not marker.exists():
            torch.save = half_a_model_state_then_pause(torch.save, marker, self.seconds)


def half_a_model_state_then_pause(save, marker: Path, seconds: float):
    def save_slowly(value, file, *args, **kwargs):
        if "version" in value or not hasattr(file, "write"):  # the training state: written whole
            return save(value, file, *args, **kwargs)
        buffer = io.BytesIO()
        save(value, buffer, *args, **kwargs)
        file.write(buffer.getvalue()[: len(buffer.getvalue()) // 2])
        file.flush()
        marker.write_text("halfway through a model-state write\n")
        time.sleep(seconds)

    return save_slowly
