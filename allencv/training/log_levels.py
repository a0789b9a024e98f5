"""
allennlp logs every config parameter it reads (`allennlp.common.params`) and the names of every
tunable parameter (`allennlp.common.util`) at INFO: hundreds of lines that bury a run's result; its
trainer logs "Training", "Validating" and the memory usage every epoch.
Importing AllenCV demotes them to DEBUG, so they show with `ALLENNLP_DEBUG=1` (the whole config is
in the serialization folder's `config.json` anyway). It also hides torch's FutureWarning about
`torch.cuda.amp.autocast`, which allennlp 2.10's trainer triggers on every run, CPU-only ones
included, and which a user cannot act on. And in a distributed run, `allennlp train` itself puts
`local_rank` both in the trainer's params and in its `**extras`, so every process warned that
`local_rank` was "found in both **extras and in params" and that "you probably put a key in a config
file that you didn't need", about a key no config sets: that warning is demoted to DEBUG too.
"""
import logging
import re
import warnings

#: The loggers whose INFO records become DEBUG.
DEMOTED_LOGGERS = ("allennlp.common.params", "allennlp.common.util")
#: The trainer's INFO lines that become DEBUG: a word before each progress bar, and the memory
#: usage that the epoch's metrics hold too (`peak_worker_0_memory_MB` in `metrics.json`).
TRAINER_LOGGER = "allennlp.training.gradient_descent_trainer"
DEMOTED_TRAINER_LINES = re.compile(r"^(Training|Validating|(Worker|GPU) \S+ memory usage: .*)$")


class DemoteToDebug(logging.Filter):
    """Makes INFO records DEBUG ones, dropped unless the root logger logs DEBUG."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.INFO:
            return True
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return logging.getLogger().isEnabledFor(logging.DEBUG)


class DemoteTrainerLines(logging.Filter):
    """Makes the trainer's `DEMOTED_TRAINER_LINES` DEBUG records."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.INFO or not DEMOTED_TRAINER_LINES.match(record.getMessage()):
            return True
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return logging.getLogger().isEnabledFor(logging.DEBUG)


class DemoteLocalRankWarning(logging.Filter):
    """Makes from_params' warning about the `local_rank` that `allennlp train` sets a DEBUG record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.WARNING or not record.getMessage().startswith("Parameter local_rank for class "):
            return True
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return logging.getLogger().isEnabledFor(logging.DEBUG)


def quieten_allennlp_logs() -> None:
    for name in DEMOTED_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(existing, DemoteToDebug) for existing in logger.filters):
            logger.addFilter(DemoteToDebug())
    trainer_logger = logging.getLogger(TRAINER_LOGGER)
    if not any(isinstance(existing, DemoteTrainerLines) for existing in trainer_logger.filters):
        trainer_logger.addFilter(DemoteTrainerLines())
    from_params_logger = logging.getLogger("allennlp.common.from_params")
    if not any(isinstance(existing, DemoteLocalRankWarning) for existing in from_params_logger.filters):
        from_params_logger.addFilter(DemoteLocalRankWarning())
    warnings.filterwarnings("ignore", message=r"`torch\.cuda\.amp\.autocast\(args\.\.\.\)` is deprecated", category=FutureWarning)
