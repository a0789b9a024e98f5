import logging

from allennlp.training.callbacks import ConsoleLoggerCallback

import allencv  # noqa: F401  (installs the filter)


def test_nested_metrics_are_left_out_of_allennlps_console_table(tmp_path, caplog, capsys):
    metrics = {
        "training_accuracy": 0.5,
        "validation_accuracy": 0.75,
        "training_per_class": {"cat": {"f1": 0.5}},
        "validation_confusion_matrix": {"labels": ["cat"], "counts": [[1]]},
    }
    with caplog.at_level(logging.INFO, logger="allennlp.training.callbacks.console_logger"):
        ConsoleLoggerCallback(str(tmp_path)).on_epoch(None, metrics, epoch=0)
    rows = [record.getMessage() for record in caplog.records]
    assert any(row.startswith("accuracy") and "0.500" in row and "0.750" in row for row in rows)
    assert not any("per_class" in row or "confusion_matrix" in row for row in rows)
    assert "Logging error" not in capsys.readouterr().err
