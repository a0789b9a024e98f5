import subprocess
import sys

import pytest
from allennlp.data import DatasetReader
from allennlp.models import Model
from allennlp.predictors import Predictor

from allencv.data.transforms import ImageTransform
from allencv.modules import Im2ImEncoder, Im2VecEncoder

SEED_MODULES = ["allencv.data.dataset_readers", "allencv.modules.im2im_encoders",
                "allencv.models.basic_classifier", "allencv.modules.im2vec_encoders"]


@pytest.mark.parametrize("module", ["allencv"] + SEED_MODULES)
def test_each_seed_module_registers_everything(module):
    code = (
        f"import importlib; importlib.import_module({module!r})\n"
        "from allennlp.data import DatasetReader\nfrom allennlp.models import Model\n"
        "from allencv.modules import Im2ImEncoder, Im2VecEncoder\n"
        "assert DatasetReader.by_name('image_classification_directory')\n"
        "assert Model.by_name('basic_image_classifier')\n"
        "assert Im2ImEncoder.by_name('pretrained_resnet') and Im2VecEncoder.by_name('flatten')\n"
        "from allennlp.predictors import Predictor; assert Predictor.by_name('image_classifier')\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_registered_names():
    assert "image_classification_directory" in DatasetReader.list_available()
    assert "basic_image_classifier" in Model.list_available()
    assert "pretrained_resnet" in Im2ImEncoder.list_available()
    assert "flatten" in Im2VecEncoder.list_available()
    assert "image_classifier" in Predictor.list_available()
    assert {"resize", "center_crop", "random_resized_crop", "horizontal_flip", "normalize"} <= set(
        ImageTransform.list_available()
    )


def test_import_without_allennlp_says_how_to_install():
    code = "import sys; sys.modules['allennlp'] = None\nimport allencv"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "ImportError: AllenCV needs allennlp 2.10.1" in result.stderr
    assert "--no-deps allennlp==2.10.1" in result.stderr
