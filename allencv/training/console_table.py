"""
allennlp's console logger prints each epoch's metrics as a table of numbers (`%8.3f`), so a
nested metric, such as the classifiers' `per_class` scores or their `confusion_matrix`, makes
every epoch print a "--- Logging error ---" traceback instead of its row. Those metrics are
kept in `metrics_epoch_N.json`, `metrics.json` and `allennlp evaluate`'s output; the table
leaves them out.
"""
import logging
from numbers import Number

CONSOLE_LOGGER = "allennlp.training.callbacks.console_logger"


class NumericRowsOnly(logging.Filter):
    """Drops the console table's rows whose metric values are not numbers."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not isinstance(record.args, tuple) or "%8.3f" not in str(record.msg):
            return True
        values = record.args[1:]
        return all(isinstance(value, (Number, str)) for value in values)


def leave_nested_metrics_out_of_the_console_table() -> None:
    console = logging.getLogger(CONSOLE_LOGGER)
    if not any(isinstance(existing, NumericRowsOnly) for existing in console.filters):
        console.addFilter(NumericRowsOnly())
