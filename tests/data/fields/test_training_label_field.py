import pytest
from allennlp.common.checks import ConfigurationError
from allennlp.data import Vocabulary

from allencv.data.fields import TrainingLabelField


def test_indexes_a_known_label():
    field = TrainingLabelField("red", source="valid/red/1.png")
    field.index(Vocabulary({"labels": {"blue": 1, "red": 1}}))
    assert field.as_tensor({}).item() == Vocabulary({"labels": {"blue": 1, "red": 1}}).get_token_index("red", "labels")


def test_an_unknown_label_names_the_image_the_label_and_the_known_labels():
    field = TrainingLabelField("green", source="valid/green/1.png")
    with pytest.raises(ConfigurationError) as info:
        field.index(Vocabulary({"labels": {"blue": 1, "red": 1}}))
    message = str(info.value)
    assert "valid/green/1.png has label 'green'" in message and "(its labels: blue, red)" in message
