"""
Freed memory kept for the next training step, on Linux with glibc.

Every training step frees its activations and gradients and allocates the same sizes again.
glibc's `malloc` serves blocks above its mmap threshold (128 KiB, raised dynamically to the size
of the largest block freed) with fresh `mmap`s and trims the top of its heap once more than twice
that is free, so a step hands most of its memory back to the kernel and the next step takes it
again, one zeroed page at a time. Measured on the overhead benchmark's loop (resnet18, 32-px
images, batch 64, 2 cores): ~560,000 minor page faults per 2,000-image epoch, about a fifth of its
time; with the thresholds fixed below, none after the first epoch.

Importing `allencv` wraps `GradientDescentTrainer.train` (which `allennlp train` and Python callers
both run) so that it first fixes the mmap threshold at glibc's maximum (32 MiB on 64-bit) and the
trim threshold at 1 GiB. Memory of the training process then stays at its peak instead of
shrinking between steps. Not applied when `ALLENCV_MALLOC_TUNING=0` is set, when the process has
its own `MALLOC_MMAP_THRESHOLD_` or `MALLOC_TRIM_THRESHOLD_`, or where the C library has no
`mallopt` (macOS, Windows, musl).
"""
import ctypes
import functools
import logging
import os
import sys
from typing import Callable, Optional

from allennlp.training.gradient_descent_trainer import GradientDescentTrainer

logger = logging.getLogger(__name__)

#: `mallopt` parameters, from glibc's malloc.h.
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
#: glibc's largest mmap threshold on 64-bit (HEAP_MAX_SIZE / 2).
MMAP_THRESHOLD_BYTES = 32 * 1024 * 1024
TRIM_THRESHOLD_BYTES = 1024 * 1024 * 1024
#: Set to "0" to leave glibc's malloc settings alone.
OPT_OUT_VARIABLE = "ALLENCV_MALLOC_TUNING"
GLIBC_VARIABLES = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")


def glibc_mallopt() -> Optional[Callable[[int, int], int]]:
    """glibc's `mallopt`, or None where the C library is another (musl's `mallopt` does nothing)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version  # glibc only
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return None
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    return mallopt


def keep_freed_memory_for_reuse() -> bool:
    """Fixes glibc's mmap and trim thresholds for this process; returns whether they were set."""
    if os.environ.get(OPT_OUT_VARIABLE) == "0" or any(name in os.environ for name in GLIBC_VARIABLES):
        return False
    mallopt = glibc_mallopt()
    if mallopt is None:
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)) and bool(
        mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES)
    )


def keep_freed_memory_when_training_starts() -> None:
    """Wraps `GradientDescentTrainer.train` so that each run first calls `keep_freed_memory_for_reuse`; idempotent."""
    original = GradientDescentTrainer.train
    if getattr(original, "keeps_freed_memory", False):
        return

    @functools.wraps(original)
    def train(self, *args, **kwargs):
        if keep_freed_memory_for_reuse():
            logger.info(
                "Keeping freed memory for the next step (glibc mmap threshold %d MiB, trim threshold "
                "%d MiB); set %s=0 to turn this off.",
                MMAP_THRESHOLD_BYTES >> 20, TRIM_THRESHOLD_BYTES >> 20, OPT_OUT_VARIABLE,
            )
        return original(self, *args, **kwargs)

    train.keeps_freed_memory = True
    GradientDescentTrainer.train = train
