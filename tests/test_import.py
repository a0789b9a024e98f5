import json
import subprocess
import sys
from pathlib import Path

import pytest
from allennlp.data import DatasetReader
from allennlp.models import Model
from allennlp.predictors import Predictor

from allencv.data.transforms import ImageTransform
from allencv.modules import Im2ImEncoder, Im2VecEncoder

SEED_MODULES = ["allencv.data.dataset_readers", "allencv.modules.im2im_encoders",
                "allencv.models.basic_classifier", "allencv.modules.im2vec_encoders"]


#: Runs each snippet of the JSON list `[[code, argv], ...]` on stdin in a child forked from this
#: interpreter, which has loaded allennlp's and torch's modules but none of AllenCV's, so that each
#: snippet imports AllenCV afresh (one interpreter start-up, ~10 s, for all of them). Prints the
#: JSON list of each child's `[exit status, stdout, stderr]`.
FRESH_CHILDREN = """
import json, os, sys, tempfile, traceback
import allennlp.commands, allennlp.data, allennlp.models, allennlp.predictors
assert not [name for name in sys.modules if name.startswith("allencv")]
results = []
for code, argv in json.load(sys.stdin):
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        pid = os.fork()
        if pid == 0:
            os.dup2(out.fileno(), 1)
            os.dup2(err.fileno(), 2)
            sys.argv = ["-c", *argv]
            status = 0
            try:
                exec(compile(code, "<snippet>", "exec"), {"__name__": "__main__"})
            except SystemExit as exit:
                status = exit.code if isinstance(exit.code, int) else 1
            except BaseException:
                traceback.print_exc()
                status = 1
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(status)
        status = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
        out.seek(0)
        err.seek(0)
        results.append([status, out.read(), err.read()])
print(json.dumps(results))
"""


def registers_the_seeds_components(module: str) -> str:
    return (
        f"import importlib; importlib.import_module({module!r})\n"
        "from allennlp.data import DatasetReader\nfrom allennlp.models import Model\n"
        "from allennlp.predictors import Predictor\n"
        "assert DatasetReader.by_name('image_classification_directory')\n"
        "assert Model.by_name('basic_image_classifier')\n"
        "assert Predictor.by_name('image_classifier')\n"
        "from allencv.modules import Im2ImEncoder, Im2VecEncoder\n"
        "assert Im2ImEncoder.by_name('pretrained_resnet') and Im2VecEncoder.by_name('flatten')\n"
    )


@pytest.fixture(scope="module")
def fresh_imports(tmp_path_factory):
    """
    `{name: CompletedProcess}` of each snippet that imports AllenCV in a fresh interpreter: one
    per seed module (by its name), `"heavy"` and `"optional"` (the tests below), each run as
    `python -c CODE ARGV...` would run it, in a child of one `FRESH_CHILDREN` interpreter.
    """
    picture = tmp_path_factory.mktemp("report") / "matrix.png"
    snippets = {module: (registers_the_seeds_components(module), []) for module in ["allencv"] + SEED_MODULES}
    snippets["heavy"] = (LEAVES_HEAVY_MODULES_UNLOADED, [str(picture)])
    snippets["optional"] = (missing_optional_packages(), [])
    result = subprocess.run([sys.executable, "-c", FRESH_CHILDREN], input=json.dumps(list(snippets.values())),
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-4000:]
    return {name: subprocess.CompletedProcess([sys.executable, "-c", code, *argv], status, stdout, stderr)
            for (name, (code, argv)), (status, stdout, stderr) in zip(snippets.items(), json.loads(result.stdout))}


@pytest.mark.slow  # an interpreter start-up, shared by the tests of `fresh_imports`
@pytest.mark.parametrize("module", ["allencv"] + SEED_MODULES)
def test_each_seed_module_registers_everything(module, fresh_imports):
    result = fresh_imports[module]
    assert result.returncode == 0, result.stderr[-4000:]


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
                 "torchmetrics", "pycocotools", "timm", "captum", "allencv.service.app", "allencv.reports"]


#: `import allencv` after the user chose a matplotlib backend; prints which heavy modules it
#: loaded, the commands it did not register and the backend after drawing a report to argv[1].
LEAVES_HEAVY_MODULES_UNLOADED = (
    "import sys, matplotlib\nmatplotlib.use('svg')\nimport allencv\n"
    f"print(sorted(name for name in {HEAVY_MODULES!r} if name in sys.modules))\n"
    "from allennlp.commands.subcommand import Subcommand\n"
    "print(sorted({'serve', 'export', 'classification-report'} - set(Subcommand.list_available())))\n"
    # Drawing a report leaves the backend someone else chose (a notebook's) as it was.
    "from allencv.reports import plot_confusion_matrix\n"
    "plot_confusion_matrix(['a', 'b'], [[1, 0], [1, 2]], sys.argv[1])\n"
    "print(matplotlib.get_backend())\n"
)


@pytest.mark.slow  # see fresh_imports
def test_import_allencv_leaves_the_service_plotting_and_metrics_stacks_unloaded(fresh_imports):
    result = fresh_imports["heavy"]
    assert result.returncode == 0, result.stderr[-4000:]
    loaded, missing_commands, backend = result.stdout.strip().splitlines()[-3:]
    assert loaded == "['matplotlib']", f"import allencv loaded {loaded} (only the test's matplotlib expected)"
    assert missing_commands == "[]", f"commands not registered: {missing_commands}"
    assert backend == "svg"
    assert Path(result.args[3]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


#: An optional package, the extra that installs it, and a use of the part that needs it.
OPTIONAL_USES = [
    ("pycocotools", "detection", "from allencv.data.dataset_readers.coco_segmentation import segmentation_rle\n"
                                 "segmentation_rle([[0, 0, 4, 0, 4, 4]], 8, 8)"),
    ("matplotlib", "reports", "from allencv.reports import plot_confusion_matrix\n"
                              "plot_confusion_matrix(['a'], [[1]], 'unused.png')"),
    ("uvicorn", "serve", "from allencv.commands.serve import main\nmain(['missing.tar.gz'])"),
    ("timm", "timm", "from allencv.modules.im2im_encoders import TimmEncoder\nTimmEncoder('resnet18')"),
    ("captum", "explain", "import types, torch\nfrom allencv.interpret import GradCam\n"
                          "GradCam(types.SimpleNamespace(im2im_encoder=torch.nn.Identity(), logits=len))"),
]


def missing_optional_packages() -> str:
    """`import allencv` with each of `OPTIONAL_USES`' packages missing; prints the error of each use."""
    lines = [f"sys.modules[{module!r}] = None" for module, _, _ in OPTIONAL_USES] + ["import allencv"]
    for _, _, use in OPTIONAL_USES:
        lines += ["try:"] + ["    " + line for line in use.splitlines()]
        lines += ["except ImportError as error:", "    print(error)", "else:", "    print('no error')"]
    return "import sys\n" + "\n".join(lines)


@pytest.mark.slow  # see fresh_imports
def test_a_missing_optional_package_names_its_extra(fresh_imports):
    result = fresh_imports["optional"]
    assert result.returncode == 0, result.stderr[-4000:]
    messages = result.stdout.strip().splitlines()[-len(OPTIONAL_USES):]
    for (module, extra, _), message in zip(OPTIONAL_USES, messages):
        assert f"`{module}`" in message and f"pip install 'allencv[{extra}]'" in message, message
