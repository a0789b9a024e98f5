"""
allennlp's contract for config keys: a misspelt key in any AllenCV model or reader fails with the
"Extra parameters passed to ..." ConfigurationError naming it, before anything is trained.
"""
import pytest
from allennlp.common import Params
from allennlp.common.checks import ConfigurationError
from allennlp.data import DatasetReader, Vocabulary
from allennlp.models import Model

import allencv  # noqa: F401  (registers everything)

#: The keys each registered component needs besides the misspelt one (none for most).
REQUIRED = {
    "basic_image_classifier": {"im2vec_encoder": {"type": "global_pool", "input_channels": 3}},
    "multi_label_image_classifier": {"im2vec_encoder": {"type": "global_pool", "input_channels": 3}},
    "image_text_classifier": {
        "im2vec_encoder": {"type": "global_pool", "input_channels": 3},
        "text_field_embedders": {"caption": {"token_embedders": {"tokens": {"type": "embedding", "embedding_dim": 4}}}},
        "seq2vec_encoders": {"caption": {"type": "boe", "embedding_dim": 4}},
    },
    "semantic_segmentation": {"encoder": {"type": "small_cnn"}},
    "torchvision_segmentation": {"model_name": "lraspp_mobilenet_v3_large"},
}


def allencv_names(base) -> list:
    return [name for name in base.list_available() if base.resolve_class_name(name)[0].__module__.startswith("allencv.")]


def assert_names_the_key(build, name: str) -> None:
    with pytest.raises(ConfigurationError) as error:
        build(Params({"type": name, **REQUIRED.get(name, {}), "misspelt_key": 1}))
    assert "Extra parameters" in str(error.value) and "misspelt_key" in str(error.value), str(error.value)


def test_every_allencv_model_and_reader_is_covered():
    assert {"basic_image_classifier", "faster_rcnn", "keypoint_rcnn", "semantic_segmentation"} <= set(allencv_names(Model))
    assert {"image_classification_directory", "coco_detection", "image_manifest"} <= set(allencv_names(DatasetReader))


@pytest.mark.parametrize("name", allencv_names(Model))
def test_a_misspelt_model_key_is_named(name):
    assert_names_the_key(lambda params: Model.from_params(params, vocab=Vocabulary()), name)


@pytest.mark.parametrize("name", allencv_names(DatasetReader))
def test_a_misspelt_reader_key_is_named(name):
    assert_names_the_key(DatasetReader.from_params, name)


def test_a_misspelt_reader_key_gets_a_suggestion():
    # issue 15: `on_eror` used to end in `TypeError: DatasetReader.__init__() got an unexpected keyword`.
    with pytest.raises(ConfigurationError, match=r"on_eror.*did you mean 'on_error'"):
        DatasetReader.from_params(Params({"type": "image_classification_directory", "on_eror": "skip"}))
