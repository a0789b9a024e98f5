"""
How long a checkpoint blocks training: the time `save_checkpoint`, and the `find_latest_checkpoint`
that allennlp's trainer calls right after it (to copy the model state to `best.th`), hold the
training thread, for
allennlp's `Checkpointer` ("default"), AllenCV's `atomic` one writing on the training thread
(`background_write: false`), and the `atomic` one as configured by default (the model state on the
training thread, the optimizer's state in the background, which the next optimizer step waits for:
that wait overlaps the next batch and is not counted here).
The state is a resnet18's weights and Adam's state after one step (about 135 MB), as every epoch
of the training benchmarks saves.

    python -m benchmarks.checkpointing --runs 5
"""
import os
import statistics
import tempfile
import time

import torch
import torchvision
from allennlp.training.checkpointer import Checkpointer
from allennlp.training.trainer import TrainerCheckpoint

from allencv.training.checkpointer import AtomicCheckpointer, wait_for_checkpoint_writes
from benchmarks.common import arguments


class Resnet18Training:
    """What a checkpointer asks of a trainer: the state of a resnet18 and its Adam, one epoch later each time."""

    def __init__(self) -> None:
        self.network = torchvision.models.resnet18(num_classes=10)
        self.optimizer = torch.optim.Adam(self.network.parameters(), lr=1e-3)
        self.network(torch.randn(2, 3, 64, 64)).sum().backward()
        self.optimizer.step()
        self.epochs_completed = 0

    def get_checkpoint_state(self) -> TrainerCheckpoint:
        self.epochs_completed += 1
        training_state = {"version": 1, "optimizer": self.optimizer.state_dict(),
                          "epochs_completed": self.epochs_completed, "batches_in_epoch_completed": 0}
        return TrainerCheckpoint(self.network.state_dict(), training_state)


def blocking_seconds(checkpointer: Checkpointer, training: Resnet18Training) -> float:
    start = time.perf_counter()
    checkpointer.save_checkpoint(training)
    checkpointer.find_latest_checkpoint()  # allennlp's trainer does this next, to copy the model state to best.th
    blocked = time.perf_counter() - start
    wait_for_checkpoint_writes()  # not timed: training would go on meanwhile
    return blocked


def main() -> None:
    args = arguments(__doc__, runs=5)
    os.makedirs(args.data, exist_ok=True)
    training = Resnet18Training()
    with tempfile.TemporaryDirectory(dir=args.data) as folder:  # on the disk runs write to
        sides = {
            "allennlp Checkpointer": Checkpointer(os.path.join(folder, "default")),
            "atomic, background_write false": AtomicCheckpointer(os.path.join(folder, "sync"), background_write=False),
            "atomic (default)": AtomicCheckpointer(os.path.join(folder, "background")),
        }
        for name in ("default", "sync", "background"):
            os.makedirs(os.path.join(folder, name))
        for checkpointer in sides.values():
            blocking_seconds(checkpointer, training)  # warm-up: the first save also pages memory in
        seconds = {name: [] for name in sides}
        for _ in range(args.runs):  # alternating, so load on the machine hits all alike
            for name, checkpointer in sides.items():
                seconds[name].append(blocking_seconds(checkpointer, training))
    base = statistics.median(seconds["allennlp Checkpointer"])
    print(f"\nCheckpoint time on the training thread, resnet18 + Adam, {args.runs} runs")
    for name, values in seconds.items():
        median = statistics.median(values)
        print(f"  {name:<32} {median * 1000:8.1f} ms (min {min(values) * 1000:.1f}, max {max(values) * 1000:.1f})"
              f"   ratio {median / base:.3f}")


if __name__ == "__main__":
    main()
