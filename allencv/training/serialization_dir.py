"""
Advice that fits the serialization folder when `allennlp train` refuses it.

allennlp's `create_serialization_dir` refuses a non-empty `-s` folder with "Specify --recover to
recover from an existing output folder", also when the earlier run failed before its first
checkpoint (a config error, a missing data folder): `--recover` then trains from nothing, or
fails because the corrected config differs from the saved one, and `--force` is what the user
needs. Importing `allencv` wraps the function (`allennlp train` looks it up in its module when it
runs) so that the error says which of `--recover` and `--force` applies, from the checkpoints
the folder holds, and a config that differs from the one being recovered names `--force` too.
"""
import functools
import glob
import os
import re
from os import PathLike
from typing import Optional, Tuple, Union

from allennlp.common import Params
from allennlp.common.checks import ConfigurationError
from allennlp.training import util as training_util

#: Training-state files of a checkpoint (allennlp's and `AtomicCheckpointer`'s names).
TRAINING_STATE = re.compile(r"training_state_e(\d+)_b(\d+)\.th$")


def newest_checkpoint(serialization_dir: Union[str, PathLike]) -> Optional[Tuple[int, int]]:
    """`(epochs, batches)` completed at the folder's newest checkpoint, or `None` without one."""
    states = glob.glob(os.path.join(glob.escape(str(serialization_dir)), "training_state_e*_b*.th"))
    progress = [(int(match.group(1)), int(match.group(2))) for match in map(TRAINING_STATE.search, states) if match]
    return max(progress) if progress else None


def existing_folder_advice(serialization_dir: Union[str, PathLike]) -> str:
    """What to pass to `allennlp train` for a folder that holds an earlier run."""
    checkpoint = newest_checkpoint(serialization_dir)
    start_over = "pass --force to delete it and start over (or choose another -s folder)"
    if checkpoint is None:
        return (
            f"Serialization directory ({serialization_dir}) already exists and holds no checkpoint: "
            f"the run that wrote it stopped before saving one, so there is nothing to recover; {start_over}."
        )
    epochs, batches = checkpoint
    progress = f"{epochs} epoch(s)" + (f" and {batches} batch(es)" if batches else "")
    return (
        f"Serialization directory ({serialization_dir}) already exists and holds a checkpoint after {progress}. "
        f"Pass --recover to resume that run (with the same config and overrides), or {start_over}."
    )


def advise_recover_or_force() -> None:
    original = training_util.create_serialization_dir
    if getattr(original, "advises_recover_or_force", False):
        return

    @functools.wraps(original)
    def create_serialization_dir(
        params: Params, serialization_dir: Union[str, PathLike], recover: bool, force: bool
    ) -> None:
        if not recover and not force and os.path.isdir(serialization_dir) and os.listdir(serialization_dir):
            raise ConfigurationError(existing_folder_advice(serialization_dir))
        try:
            original(params, serialization_dir, recover, force)
        except ConfigurationError as error:
            if recover and "does not match the configuration" in str(error):
                raise ConfigurationError(
                    f"{error} The differences are logged above. To resume, pass the config and overrides "
                    f"of the first run; to train with this config instead, pass --force in place of "
                    f"--recover (deletes {serialization_dir})."
                ) from error
            raise

    create_serialization_dir.advises_recover_or_force = True
    training_util.create_serialization_dir = create_serialization_dir
