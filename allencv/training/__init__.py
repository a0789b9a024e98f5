from allencv.training import callbacks, learning_rate_schedulers, metrics  # noqa: F401
from allencv.training.checkpoint_loading import allow_numpy_scalars_in_checkpoints
from allencv.training.checkpointer import AtomicCheckpointer, make_atomic_checkpointing_the_default  # noqa: F401
from allencv.training.log_levels import quieten_allennlp_logs
from allencv.training.trainer_checks import check_trainer_settings_when_trainers_are_built

allow_numpy_scalars_in_checkpoints()
make_atomic_checkpointing_the_default()
quieten_allennlp_logs()
check_trainer_settings_when_trainers_are_built()
