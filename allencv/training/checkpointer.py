"""
Checkpoints that a kill cannot damage, their larger part written off the training path.

allennlp's `Checkpointer` writes `model_state_e*_b*.th` and `training_state_e*_b*.th` straight
to their final names, on the training thread. A run killed during a write leaves a truncated file
that `--recover` picks as the latest, and every save blocks training for the whole write.
`AtomicCheckpointer` writes each file to a temporary file in the same folder, fsyncs it, renames it
over the final name and fsyncs the folder, so a final name always holds a whole file; the training
state is renamed last, and a checkpoint counts only once both of its files are there. On recovery
it skips a checkpoint that does not load (a truncated file from another checkpointer, a damaged
disk), logs which one and renames it `*.damaged`, and resumes from the newest one that loads.

By default (`background_write`), only the model state (needed at once: allennlp's trainer
hard-links it to `best.th` right after each save, also without validation data) is written on the
training thread. The training state, mostly the optimizer's (twice the model's size with Adam), is
written by a background thread from the optimizer's own tensors, without a copy: the optimizer's
next `step()`, the only thing that changes them, waits for the write first (a step pre-hook). So
the write overlaps the next batch's data loading, forward and backward. At most one write is in
flight: the next save, `load_checkpoint` and the end of the process wait for it too. A trainer
without a torch optimizer gets its training state copied to CPU memory for the background write.

Importing AllenCV makes this the checkpointer of every `allennlp` trainer that does not name
another one (see `make_atomic_checkpointing_the_default`).
"""
import contextlib
import copy
import glob
import logging
import os
import threading
import time
import uuid
from typing import Any, List, Optional, Set, Tuple, Union

import torch
from allennlp.nn import util as nn_util
from allennlp.training.checkpointer import Checkpointer
from allennlp.training.trainer import Trainer, TrainerCheckpoint

logger = logging.getLogger(__name__)

TEMPORARY_SUFFIX = ".tmp"
DAMAGED_SUFFIX = ".damaged"

_writing: Optional[threading.Thread] = None
_write_failure: Optional[BaseException] = None


@Checkpointer.register("atomic")
class AtomicCheckpointer(Checkpointer):
    """
    allennlp's `Checkpointer`, with atomic writes, recovery past a damaged checkpoint and
    (optionally) writes in a background thread. The file names, and so `--recover` of a run that
    allennlp's own checkpointer started, are the same.

    Registered as a `Checkpointer` with name "atomic", and made the default implementation when
    AllenCV is imported.

    # Parameters

    serialization_dir : `Union[str, os.PathLike]`
        Where the checkpoints go (given by the trainer).
    save_completed_epochs : `bool`, optional (default=`True`)
        Saves model and trainer state at the end of each completed epoch.
    save_every_num_seconds : `float`, optional (default=`None`)
        If set, never goes longer than this between checkpoints.
    save_every_num_batches : `int`, optional (default=`None`)
        If set, never goes longer than this many batches between checkpoints.
    keep_most_recent_by_count : `int`, optional (default=`2`)
        How many checkpoints to keep. If both this and `keep_most_recent_by_age` are `None`, keeps
        them all.
    keep_most_recent_by_age : `int`, optional (default=`None`)
        Also keeps the checkpoints younger than this many seconds.
    background_write : `bool`, optional (default=`True`)
        Writes the training state (optimizer, schedulers, metric tracker) in a background thread,
        while training goes on; the optimizer's next step waits for the write. The model state is
        always written on the training thread. `false` writes both there, as allennlp does.
    """

    def __init__(
        self,
        serialization_dir: Union[str, os.PathLike],
        save_completed_epochs: bool = True,
        save_every_num_seconds: Optional[float] = None,
        save_every_num_batches: Optional[int] = None,
        keep_most_recent_by_count: Optional[int] = 2,
        keep_most_recent_by_age: Optional[int] = None,
        background_write: bool = True,
    ) -> None:
        super().__init__(
            serialization_dir,
            save_completed_epochs=save_completed_epochs,
            save_every_num_seconds=save_every_num_seconds,
            save_every_num_batches=save_every_num_batches,
            keep_most_recent_by_count=keep_most_recent_by_count,
            keep_most_recent_by_age=keep_most_recent_by_age,
        )
        self._background_write = background_write
        self._last_copy: Any = None
        self._in_flight: Optional[Tuple[int, int]] = None
        self._writer: Optional[threading.Thread] = None
        self._hooked_optimizer: Optional[torch.optim.Optimizer] = None

    def save_checkpoint(self, trainer: Trainer) -> None:
        wait_for_checkpoint_writes()
        state = trainer.get_checkpoint_state()
        if state is None:
            # A non-primary process in distributed training with a regular (non-sharded) model.
            return
        point_in_time = (state.trainer_state["epochs_completed"], state.trainer_state["batches_in_epoch_completed"])
        self._last_save_time = time.time()
        self._last_save_num_epochs_completed, self._last_save_num_batches_in_epoch_completed = point_in_time
        # The training state last: a checkpoint counts once both files are there (`_find_all_checkpoints`).
        save_atomically(state.model_state, self._model_state_path(*point_in_time))
        if not self._background_write:
            self._write_training_state(state.trainer_state, point_in_time)
            return
        optimizer = getattr(trainer, "optimizer", None)
        if isinstance(optimizer, torch.optim.Optimizer):
            # The tensors as they are (only the optimizer's step changes them, and it waits for
            # this write), everything around them copied.
            training_state = share_tensors(state.trainer_state)
            self._wait_before_steps_of(optimizer)
        else:
            training_state = self._last_copy = cpu_copy(state.trainer_state, self._last_copy)
        self._in_flight = point_in_time
        global _writing
        _writing = self._writer = threading.Thread(
            target=_record_failure, args=(self._write_training_state, training_state, point_in_time),
            name="allencv-checkpoint-writer",
        )
        _writing.start()

    def _write_training_state(self, training_state: Any, point_in_time: Tuple[int, int]) -> None:
        save_atomically(training_state, self._training_state_path(*point_in_time))
        if self._is_primary:
            self._remove_old_checkpoints()

    def _wait_before_steps_of(self, optimizer: torch.optim.Optimizer) -> None:
        if self._hooked_optimizer is not optimizer:
            optimizer.register_step_pre_hook(_wait_for_writes_hook)
            self._hooked_optimizer = optimizer

    def _find_all_checkpoints(self) -> Set[Tuple[int, int]]:
        """allennlp's, less the model states whose training state is not (yet) written."""
        return {point for point in super()._find_all_checkpoints() if os.path.exists(self._training_state_path(*point))}

    def _remove_old_checkpoints(self) -> None:
        """allennlp's retention rule: the newest `keep_most_recent_by_count`, and those younger than the age."""
        if self._keep_most_recent_by_count is None and self._keep_most_recent_by_age is None:
            return
        checkpoints = sorted(self._find_all_checkpoints(), reverse=True)
        keep = set(checkpoints[: self._keep_most_recent_by_count or 0])
        if self._keep_most_recent_by_age is not None:
            now = time.time()
            for checkpoint in checkpoints:
                paths = [self._model_state_path(*checkpoint), self._training_state_path(*checkpoint)]
                written = max(os.path.getmtime(path) for path in paths if os.path.exists(path))
                if now - written <= self._keep_most_recent_by_age:
                    keep.add(checkpoint)
        for checkpoint in checkpoints:
            if checkpoint not in keep:
                self._remove_checkpoint(*checkpoint)

    def find_latest_checkpoint(self) -> Optional[Tuple[str, str]]:
        """
        allennlp's trainer calls this right after each save, to hard-link the newest model state to
        `best.th`. While that checkpoint's training state is still being written in the background,
        this returns its paths at once: its model state is already on disk.
        """
        if _writing is not None and _writing is self._writer and self._in_flight is not None:
            return self._model_state_path(*self._in_flight), self._training_state_path(*self._in_flight)
        wait_for_checkpoint_writes()
        return super().find_latest_checkpoint()

    def load_checkpoint(self) -> Optional[TrainerCheckpoint]:
        """
        The newest checkpoint whose two files load, or `None` if there is no checkpoint at all.
        Checkpoints that do not load are logged and (by the primary process) renamed `*.damaged`;
        if none loads, raises a `RuntimeError` naming them.
        """
        wait_for_checkpoint_writes()
        if self._is_primary:
            self._remove_unfinished_writes()
        damaged: List[str] = []
        for point_in_time in sorted(self._find_all_checkpoints(), reverse=True):
            paths = (self._model_state_path(*point_in_time), self._training_state_path(*point_in_time))
            try:
                # On the CPU first: the GPU copy happens in `load_state_dict`.
                cpu = nn_util.device_mapping(-1)
                model_state, training_state = (torch.load(path, map_location=cpu) for path in paths)
            except Exception as error:  # a truncated zip, a missing file, a bad pickle: all mean damaged
                logger.warning("Skipping the damaged checkpoint %s (%s: %s)", paths[0], type(error).__name__, error)
                damaged.append(paths[0])
                if self._is_primary:
                    self._set_aside(paths)
                continue
            if damaged:
                logger.warning("Resuming from the newest intact checkpoint, %s", paths[0])
            return TrainerCheckpoint(model_state, training_state)
        if damaged:
            raise RuntimeError(f"No checkpoint in {self._serialization_dir} loads; damaged: {', '.join(damaged)}")
        return None

    def _remove_unfinished_writes(self) -> None:
        for state_name in ("model_state", "training_state"):
            pattern = os.path.join(glob.escape(self._serialization_dir), f".{state_name}_e*{TEMPORARY_SUFFIX}")
            for path in glob.glob(pattern):
                logger.info("Removing %s, a checkpoint write that never finished", path)
                os.remove(path)

    @staticmethod
    def _set_aside(paths: Tuple[str, ...]) -> None:
        """Renames the files out of the checkpoint pattern, so that no later save or lookup picks them."""
        for path in paths:
            if os.path.exists(path):
                os.replace(path, path + DAMAGED_SUFFIX)
                logger.warning("Renamed it %s", path + DAMAGED_SUFFIX)


def save_atomically(value: Any, path: str) -> None:
    """
    `torch.save(value, path)` such that `path` holds either its old content or the whole new file,
    even if the process is killed or the machine loses power: a temporary file in the same folder,
    fsync, `os.replace`, fsync of the folder.
    """
    folder = os.path.dirname(os.path.abspath(path))
    temporary = os.path.join(folder, f".{os.path.basename(path)}.{uuid.uuid4().hex[:8]}{TEMPORARY_SUFFIX}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(descriptor, "wb") as file:
            torch.save(value, file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temporary)
        raise
    folder_descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(folder_descriptor)
    finally:
        os.close(folder_descriptor)


def cpu_copy(value: Any, reuse: Any = None) -> Any:
    """
    A copy of a (nested) state dict whose tensors are CPU tensors sharing nothing with `value`.
    Tensors of `reuse` (an earlier copy of the same state, no longer needed) are overwritten in place
    where shapes and dtypes match: copying into memory already paged in is several times faster
    than into fresh memory.
    """
    if isinstance(value, torch.Tensor):
        if (isinstance(reuse, torch.Tensor) and reuse.shape == value.shape and reuse.dtype == value.dtype
                and reuse.layout == value.layout == torch.strided and not reuse.is_cuda):
            return reuse.copy_(value.detach())
        return value.detach().to("cpu", copy=True)
    if isinstance(value, dict):
        copied = copy.copy(value)  # keeps the type and, for a module's state dict, its `_metadata`
        for key, item in value.items():
            copied[key] = cpu_copy(item, reuse.get(key) if isinstance(reuse, dict) else None)
        return copied
    if isinstance(value, list):
        earlier = reuse if isinstance(reuse, list) and len(reuse) == len(value) else [None] * len(value)
        return [cpu_copy(item, before) for item, before in zip(value, earlier)]
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return tuple(cpu_copy(item) for item in value)
    return copy.deepcopy(value)


def share_tensors(value: Any) -> Any:
    """A copy of a (nested) state whose containers and other values are copied and whose tensors are not."""
    if isinstance(value, torch.Tensor):
        return value
    if isinstance(value, dict):
        copied = copy.copy(value)
        for key, item in value.items():
            copied[key] = share_tensors(item)
        return copied
    if isinstance(value, list):
        return [share_tensors(item) for item in value]
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return tuple(share_tensors(item) for item in value)
    return copy.deepcopy(value)


def _wait_for_writes_hook(optimizer: torch.optim.Optimizer, args: Any, kwargs: Any) -> None:
    wait_for_checkpoint_writes()


def wait_for_checkpoint_writes() -> None:
    """Returns once the checkpoint being written in the background (if any) is on disk; raises its error."""
    global _writing, _write_failure
    if _writing is not None:
        _writing.join()
        _writing = None
    if _write_failure is not None:
        failure, _write_failure = _write_failure, None
        raise RuntimeError("Writing a checkpoint in the background failed") from failure


def _record_failure(write, *args) -> None:
    global _write_failure
    try:
        write(*args)
    except BaseException as error:  # raised on the training thread by the next wait
        logger.error("Writing a checkpoint failed: %s", error)
        _write_failure = error


def make_atomic_checkpointing_the_default() -> None:
    """
    allennlp's trainer builds `Lazy(Checkpointer)` when a config has no `checkpointer`, and
    `Checkpointer.from_params` picks `default_implementation` when it has no `type`: both get
    `AtomicCheckpointer` once AllenCV is imported. `{"type": "default"}` still names allennlp's.
    """
    Checkpointer.default_implementation = "atomic"
