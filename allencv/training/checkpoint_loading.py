"""
Lets `allennlp train --recover` read AllenNLP's training-state checkpoints under torch >= 2.6,
where `torch.load` defaults to `weights_only=True`, without turning that safety off.

AllenNLP pickles the trainer's state (optimizer, learning-rate scheduler, metric tracker) with
`torch.save`, and loads it back with a plain `torch.load`. Most of it is tensors and Python
numbers, which the weights-only unpickler accepts, but some schedulers (e.g. "cosine") and metrics
keep numpy scalars, which it refuses. Importing AllenCV allowlists exactly what a numeric numpy
scalar needs: numpy's scalar constructor, `numpy.dtype` and the dtype classes of booleans, integers,
floats and complex numbers. These only rebuild a number from its dtype and bytes, so a file from an
untrusted source still cannot run code when it is loaded; everything else (arbitrary classes,
functions, object arrays) is still refused.
"""
import numpy
import torch

try:  # numpy >= 2
    from numpy._core.multiarray import scalar as numpy_scalar
except ImportError:  # pragma: no cover - numpy 1.x
    from numpy.core.multiarray import scalar as numpy_scalar

NUMERIC_TYPES = (
    numpy.bool_, numpy.int8, numpy.int16, numpy.int32, numpy.int64, numpy.uint8, numpy.uint16,
    numpy.uint32, numpy.uint64, numpy.float16, numpy.float32, numpy.float64, numpy.complex64,
    numpy.complex128,
)

#: The globals added to torch's weights-only allowlist.
SAFE_CHECKPOINT_GLOBALS = [numpy_scalar, numpy.dtype] + [type(numpy.dtype(kind)) for kind in NUMERIC_TYPES]


def allow_numpy_scalars_in_checkpoints() -> None:
    torch.serialization.add_safe_globals(SAFE_CHECKPOINT_GLOBALS)
