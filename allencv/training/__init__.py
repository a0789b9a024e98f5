from allencv.training import callbacks, learning_rate_schedulers, metrics  # noqa: F401
from allencv.training.checkpoint_loading import allow_numpy_scalars_in_checkpoints
from allencv.training.log_levels import quieten_allennlp_logs

allow_numpy_scalars_in_checkpoints()
quieten_allennlp_logs()
