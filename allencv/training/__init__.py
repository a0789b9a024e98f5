from allencv.training import callbacks, learning_rate_schedulers, metrics  # noqa: F401
from allencv.training.checkpoint_loading import allow_numpy_scalars_in_checkpoints
from allencv.training.checkpointer import AtomicCheckpointer, make_atomic_checkpointing_the_default  # noqa: F401
from allencv.training.console_table import leave_nested_metrics_out_of_the_console_table

allow_numpy_scalars_in_checkpoints()
make_atomic_checkpointing_the_default()
leave_nested_metrics_out_of_the_console_table()
