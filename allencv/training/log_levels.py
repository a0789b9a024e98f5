"""
allennlp logs every config parameter it reads (`allennlp.common.params`) and the names of every
tunable parameter (`allennlp.common.util`) at INFO: hundreds of lines that bury a run's result.
Importing AllenCV demotes them to DEBUG, so they show with `ALLENNLP_DEBUG=1` (the whole config is
in the serialization folder's `config.json` anyway). It also hides torch's FutureWarning about
`torch.cuda.amp.autocast`, which allennlp 2.10's trainer triggers on every run, CPU-only ones
included, and which a user cannot act on. And in a distributed run, `allennlp train` itself puts
`local_rank` both in the trainer's params and in its `**extras`, so every process warned that
`local_rank` was "found in both **extras and in params" and that "you probably put a key in a config
file that you didn't need", about a key no config sets: that warning is demoted to DEBUG too.
"""
import logging
import warnings

#: The loggers whose INFO records become DEBUG.
DEMOTED_LOGGERS = ("allennlp.common.params", "allennlp.common.util")


class DemoteToDebug(logging.Filter):
    """Makes INFO records DEBUG ones, dropped unless the root logger logs DEBUG."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.INFO:
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
    from_params_logger = logging.getLogger("allennlp.common.from_params")
    if not any(isinstance(existing, DemoteLocalRankWarning) for existing in from_params_logger.filters):
        from_params_logger.addFilter(DemoteLocalRankWarning())
    warnings.filterwarnings("ignore", message=r"`torch\.cuda\.amp\.autocast\(args\.\.\.\)` is deprecated", category=FutureWarning)
