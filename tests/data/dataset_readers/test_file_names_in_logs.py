"""A file or folder name holding a newline cannot start a fake line in the reader's log."""
import logging

from allencv.data.dataset_readers import ImageClassificationDirectoryReader
from tests.conftest import colour_image

FAKE_LINE = "2026-01-01 00:00:00,000 - INFO - allennlp.training - training finished"


def test_a_newline_in_a_file_name_is_escaped_in_the_log(tmp_path, caplog):
    (tmp_path / "red").mkdir()
    colour_image((220, 40, 30)).save(tmp_path / "red" / "good.png")
    (tmp_path / "red" / f"bad\n{FAKE_LINE}.png").write_text("not an image")
    (tmp_path / f"empty\n{FAKE_LINE}").mkdir()
    (tmp_path / f"empty\n{FAKE_LINE}" / "broken.png").write_text("not an image")
    with caplog.at_level(logging.WARNING):
        instances = list(ImageClassificationDirectoryReader().read(str(tmp_path)))
    assert len(instances) == 1
    messages = [record.getMessage() for record in caplog.records]
    assert any(f"bad\\n{FAKE_LINE}.png" in message for message in messages), messages
    assert any(f"empty\\n{FAKE_LINE}" in message for message in messages), messages
    assert not any("\n" in message for message in messages), messages
