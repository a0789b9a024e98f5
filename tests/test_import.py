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


@pytest.mark.slow  # a subprocess per module
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


#: Optional or heavy packages that registering components must not import (`import allencv`
#: loads them only when the part that needs them is used).
HEAVY_MODULES = ["fastapi", "starlette", "uvicorn", "multipart", "matplotlib", "onnx", "onnxruntime",
                 "torchmetrics", "pycocotools", "captum", "allencv.service.app", "allencv.reports"]


def test_import_allencv_leaves_the_service_plotting_and_metrics_stacks_unloaded(tmp_path):
    code = (
        "import sys, matplotlib\nmatplotlib.use('svg')\nimport allencv\n"
        f"print(sorted(name for name in {HEAVY_MODULES!r} if name in sys.modules))\n"
        "from allennlp.commands.subcommand import Subcommand\n"
        "print(sorted({'serve', 'export', 'classification-report'} - set(Subcommand.list_available())))\n"
        # Drawing a report leaves the backend someone else chose (a notebook's) as it was.
        "from allencv.reports import plot_confusion_matrix\n"
        "plot_confusion_matrix(['a', 'b'], [[1, 0], [1, 2]], sys.argv[1])\n"
        "print(matplotlib.get_backend())\n"
    )
    picture = tmp_path / "matrix.png"
    result = subprocess.run([sys.executable, "-c", code, str(picture)], capture_output=True, text=True, timeout=120, check=True)
    loaded, missing_commands, backend = result.stdout.strip().splitlines()[-3:]
    assert loaded == "['matplotlib']", f"import allencv loaded {loaded} (only the test's matplotlib expected)"
    assert missing_commands == "[]", f"commands not registered: {missing_commands}"
    assert backend == "svg"
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


#: An optional package, the extra that installs it, and a use of the part that needs it.
OPTIONAL_USES = [
    ("pycocotools", "detection", "from allencv.data.dataset_readers.coco_segmentation import segmentation_rle\n"
                                 "segmentation_rle([[0, 0, 4, 0, 4, 4]], 8, 8)"),
    ("matplotlib", "reports", "from allencv.reports import plot_confusion_matrix\n"
                              "plot_confusion_matrix(['a'], [[1]], 'unused.png')"),
    ("uvicorn", "serve", "from allencv.commands.serve import main\nmain(['missing.tar.gz'])"),
    ("captum", "explain", "import types, torch\nfrom allencv.interpret import GradCam\n"
                          "GradCam(types.SimpleNamespace(im2im_encoder=torch.nn.Identity(), logits=len))"),
]


def test_a_missing_optional_package_names_its_extra():
    lines = [f"sys.modules[{module!r}] = None" for module, _, _ in OPTIONAL_USES] + ["import allencv"]
    for _, _, use in OPTIONAL_USES:
        lines += ["try:"] + ["    " + line for line in use.splitlines()]
        lines += ["except ImportError as error:", "    print(error)", "else:", "    print('no error')"]
    code = "import sys\n" + "\n".join(lines)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    messages = result.stdout.strip().splitlines()[-len(OPTIONAL_USES):]
    for (module, extra, _), message in zip(OPTIONAL_USES, messages):
        assert f"`{module}`" in message and f"pip install 'allencv[{extra}]'" in message, message
