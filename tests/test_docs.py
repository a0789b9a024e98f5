"""
The commands and Python blocks of README.md and tutorials/, run as written (in a scratch copy of
the checkout's layout), so that the docs cannot drift from the code. Long training runs are
shrunk by `DOC_TRAIN_OVERRIDES`, which a stand-in `allennlp` on the PATH adds to `allennlp train`.
Every block is either run here or listed in `NOT_RUN` with the reason.
"""
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

from tests.conftest import REPO_ROOT, write_cached_weights

DOCS = [REPO_ROOT / "README.md"] + sorted((REPO_ROOT / "tutorials").glob("*.md"))
#: One epoch of the digits, in a few large batches.
DOC_TRAIN_OVERRIDES = '{"trainer.num_epochs": 1, "data_loader.batch_size": 128}'

#: Blocks run by `test_digits_evaluation_tutorial`, in order: (document, first line).
DIGITS_CHAIN = [
    ("tutorials/evaluation.md", "python -m allencv.datasets.digits data/digits"),
    ("tutorials/evaluation.md", "allennlp classification-report runs/digits/model.tar.gz data/digits/test -o runs/digits/report"),
    ("tutorials/evaluation.md", "TRAIN_PATH=data/digits/train VALIDATION_PATH=data/digits/valid \\\n  allennlp train training_config/digits_small_cnn.jsonnet"),
    ("tutorials/evaluation.md", "allennlp predict-images runs/digits_cnn/model.tar.gz data/digits/test/7"),
    ("tutorials/evaluation.md", "allennlp evaluate runs/digits/model.tar.gz data/digits/test --include-package allencv \\"),
    ("tutorials/evaluation.md", "allennlp export runs/digits/model.tar.gz -o runs/digits/exported      # --format torchscript onnx"),
    ("tutorials/evaluation.md", "import numpy, onnxruntime, PIL.Image, torch"),
    ("README.md", "import allencv\nfrom allennlp.predictors import Predictor"),
]
#: Blocks run by `test_images_and_text_tutorial`, in order.
CAPTION_CHAIN = [
    ("tutorials/images_and_text.md", "python -m allencv.datasets.caption_match data/caption_match --train 256 --valid 64 --test 64"),
    ("tutorials/images_and_text.md", "TRAIN_PATH=data/caption_match/train.jsonl VALIDATION_PATH=data/caption_match/valid.jsonl \\"),
    ("tutorials/images_and_text.md", "import allencv"),
    ("tutorials/images_and_text.md", "echo '{\"image_path\": \"data/caption_match/images/test/00000.png\", \"text\": \"a red circle\"}' > /tmp/caption_inputs.jsonl"),
]
#: Blocks run by `test_training_from_python_tutorial`, in order.
NOTEBOOK_CHAIN = [
    ("tutorials/image_classification.md", "python -m allencv.datasets.digits data/digits"),
    ("tutorials/image_classification.md", "import os\n\nimport allencv  # registers"),
    ("tutorials/image_classification.md", "TRAIN_PATH=data/digits/train VALIDATION_PATH=data/digits/valid \\\n  allennlp show-batch"),
]
#: The notebook block's overrides, and the shrunk ones the test trains with (a small encoder, one epoch).
NOTEBOOK_OVERRIDES = '{"trainer.num_epochs": 2}'
NOTEBOOK_TEST_OVERRIDES = (
    '{"trainer.num_epochs": 1, "data_loader.batch_size": 128, '
    '"model.im2im_encoder": {"type": "small_cnn", "stage_channels": [8, 16], "convs_per_stage": 1}, '
    '"model.im2vec_encoder": {"type": "global_pool", "input_channels": 16}}'
)
#: Blocks that build a model from Python only (pretrained weights from the test's cache).
MODEL_BLOCKS = [
    ("README.md", "import allencv\nfrom allennlp.data import Vocabulary"),
    ("tutorials/image_classification.md", "from allennlp.data import Vocabulary"),
    ("tutorials/classification_recipes.md", "from allencv.modules.im2im_encoders import TimmEncoder"),
]

_PETS = "needs the Kaggle cats-and-dogs download (data/PetImages); the same commands run on the digits in test_digits_evaluation_tutorial"
_LABELME = "needs the labelme example files under /usr/share/doc/labelme-examples"
_BENCH = "a benchmark (minutes); run by hand, see benchmarks/"
_FASHION = ("trains on Fashion-MNIST for 13 to 90 minutes; tests/test_training_configs.py trains each config for a batch, "
            "tests/training/test_fashion_mnist_fast.py trains and evaluates a shrunk copy, tests/datasets/test_fashion_mnist.py checks the splits")
_SERVER = "starts a long-running server; the service is tested through its app in tests/service"
NOT_RUN: Dict[Tuple[str, str], str] = {
    ("README.md", "make demo"): "reinstalls the venv; CI runs `make test`, and scripts/demo.sh's steps are the digits chain",
    ("README.md", "TRAIN_PATH=data/PetImages/train VALIDATION_PATH=data/PetImages/val \\"): _PETS,
    ("README.md", "python -m allencv.datasets.detection_shapes data/shapes"): "trains Faster R-CNN for 12 epochs; tests/test_detection_cli.py trains a shrunk copy through the CLI",
    ("README.md", "python -m allencv.datasets.segmentation_shapes data/seg_shapes"): "trains for minutes; tests/test_segmentation_cli.py trains and predicts a shrunk copy through the CLI",
    ("README.md", "python -m allencv.service runs/pets/model.tar.gz          # http://127.0.0.1:8000/"): _SERVER,
    ("tutorials/images_and_text.md", "python -m benchmarks.caption_match --data data/caption_match_small --output runs/caption_match_bench \\"): _BENCH,
    ("tutorials/performance.md", "python -m benchmarks.training --case overhead --workers 0,2 --runs 5 --checkpointers 1"): _BENCH,
    ("tutorials/performance.md", "OMP_NUM_THREADS=1 python -m benchmarks.training --case overhead --workers 0,2 --runs 5 --plain-kept-memory 1"): _BENCH,
    ("tutorials/performance.md", "OMP_NUM_THREADS=1 python -m benchmarks.training --case compute --workers 2 --runs 5 --plain-kept-memory 1 --plain-persistent-workers 1"): _BENCH,
    ("tutorials/shards.md", "python -m allencv.datasets.to_shards data/train shards/train --shard-size 1000"): "tests/test_shards_tutorial.py runs its conversions and trains its config",
    ("tutorials/shards.md", "# on node 0, then on node 1 with --node-rank 1"): "needs two machines; tests/test_multi_node_training.py runs two nodes on loopback",
    ("tutorials/evaluation.md", "python -m benchmarks.batch_prediction --batch-size 32 --runs 3"): _BENCH,
    ("tutorials/classification_recipes.md", "python -m benchmarks.fashion_mnist --data data/fashion_mnist --output runs/fmnist [--epochs N]"): _FASHION,
    ("tutorials/classification_recipes.md", "python -m benchmarks.fashion_mnist --config training_config/fashion_mnist_fast.jsonnet \\"): _FASHION,
    ("tutorials/classification_recipes.md", "python -m benchmarks.fashion_mnist --config training_config/fashion_mnist_wide.jsonnet \\"): _FASHION,
    ("tutorials/classification_recipes.md", "python -m benchmarks.fashion_mnist --config training_config/fashion_mnist_full.jsonnet \\"): _FASHION,
    ("tutorials/classification_recipes.md", "python -c 'from allencv.modules.efficientnet_lite import save_timm_checkpoint"): "needs a small image folder and trains for minutes; tests/test_training_configs.py trains the config, tests/modules/test_efficientnet_lite.py checks the checkpoint",
    ("tutorials/evaluation.md", "python -m benchmarks.cam_localisation --data data/squares --output runs/cam_localisation"): "a benchmark (minutes); tests/interpret/test_cam_localisation.py checks a small version",
    ("tutorials/image_classification.md", "export ALLENCV_DIR=$(pwd)"): "runs `make install`, which reinstalls the venv",
    ("tutorials/image_classification.md", "mkdir -p $ALLENCV_DIR/data && cd $ALLENCV_DIR/data"): "downloads the Kaggle cats-and-dogs archive",
    ("tutorials/image_classification.md", "TRAIN_PATH=$ALLENCV_DIR/data/PetImages/train \\"): _PETS,
    ("tutorials/image_classification.md", "allennlp evaluate runs/pets/model.tar.gz $ALLENCV_DIR/data/PetImages/val \\"): _PETS,
    ("tutorials/image_classification.md", "ls $ALLENCV_DIR/data/PetImages/val/Cat | head -n 3 | \\"): _PETS,
    ("tutorials/image_classification.md", "import allencv\nfrom allennlp.predictors import Predictor"): _PETS,
    ("tutorials/object_detection.md", "python -m allencv.datasets.detection_shapes data/shapes --train 300 --valid 60 --size 128"): "part of the 12-epoch detection run; tests/test_detection_cli.py runs a shrunk copy",
    ("tutorials/object_detection.md", "export TRAIN_PATH=data/shapes/train.json VALIDATION_PATH=data/shapes/valid.json"): "trains Faster R-CNN for 12 epochs (tens of minutes on CPU); tests/test_detection_cli.py runs a shrunk copy",
    ("tutorials/object_detection.md", "allennlp train training_config/faster_rcnn.jsonnet --include-package allencv -s runs/shapes-quick \\"): "trains Faster R-CNN at 128 px for minutes; tests/test_detection_cli.py runs a shrunk copy",
    ("tutorials/object_detection.md", "allennlp evaluate runs/shapes/model.tar.gz data/shapes/valid.json --include-package allencv \\"): "needs the 12-epoch detection run; tests/test_detection_cli.py evaluates a shrunk one",
    ("tutorials/object_detection.md", "LABELME=/usr/share/doc/labelme-examples/examples"): _LABELME,
    ("tutorials/object_detection.md", "ls $LABELME/bbox_detection/data_dataset_voc/JPEGImages/*.jpg | sed 's/.*/{\"image_path\": \"&\"}/' > photos.jsonl"): _LABELME,
    ("tutorials/object_detection.md", "allennlp train training_config/keypoint_rcnn.jsonnet --include-package allencv -s runs/shapes-keypoints"): "trains Keypoint R-CNN for minutes; tests/models/test_keypoint_rcnn.py trains a shrunk one",
    ("tutorials/object_detection.md", "ls data/shapes/valid/*.png | head -4 | sed 's/.*/{\"image_path\": \"&\"}/' > shapes.jsonl"): "needs the Keypoint R-CNN run above",
    ("tutorials/object_detection.md", "python -m benchmarks.detection_map          # mAP@.5 on shapes after 12 epochs, target >= 0.5"): _BENCH,
    ("tutorials/object_detection.md", "python -m allencv.datasets.detection_shapes data/shapes-masks --size 64 --touching 0.3 --train 160 --valid 40"): "trains Mask R-CNN for 12 epochs (tens of minutes on CPU); tests/test_mask_rcnn_cli.py trains, evaluates and predicts a shrunk copy through the CLI",
    ("tutorials/object_detection.md", "ls data/shapes-masks/valid/*.png | head -4 | sed 's/.*/{\"image_path\": \"&\"}/' > shapes-masks.jsonl"): "needs the Mask R-CNN run above; tests/test_mask_rcnn_cli.py predicts with overlays from a shrunk one",
    ("tutorials/performance.md", "# on node 0"): "needs two machines; tests/test_distributed_training.py runs two processes on one",
    ("tutorials/semantic_segmentation.md", "python -m allencv.datasets.segmentation_shapes data/shapes          # train/ (256), valid/ (64), class_names.txt"): "part of the segmentation run below",
    ("tutorials/semantic_segmentation.md", "TRAIN_PATH=data/shapes/train VALIDATION_PATH=data/shapes/valid \\"): "trains for minutes; tests/test_segmentation_cli.py runs a shrunk copy",
    ("tutorials/semantic_segmentation.md", "allennlp evaluate runs/shapes/model.tar.gz data/shapes/valid --include-package allencv"): "needs the segmentation run above; tests/test_segmentation_cli.py evaluates a shrunk one",
    ("tutorials/semantic_segmentation.md", "from allennlp.models.archival import load_archive"): "needs the segmentation run above; tests/predictors/test_semantic_segmentation.py covers the predictor",
    ("tutorials/semantic_segmentation.md", "L=/usr/share/doc/labelme-examples/examples/instance_segmentation/data_dataset_coco"): _LABELME,
    ("tutorials/semantic_segmentation.md", "python -c \""): "writes a DeepLabV3 checkpoint for the labelme run (needs the labelme files)",
    ("tutorials/semantic_segmentation.md", "TORCH_HOME=/tmp/empty allennlp evaluate runs/labelme_from_checkpoint/model.tar.gz $L/annotations.json --include-package allencv"): _LABELME,
    ("tutorials/semantic_segmentation.md", "python -m benchmarks.segmentation_miou          # allennlp train on shapes; PASS when mIoU >= 0.6"): _BENCH,
    ("tutorials/serving.md", "python -m allencv.service runs/pets/model.tar.gz"): _SERVER,
    ("tutorials/serving.md", "echo allencv > .allennlp_plugins"): _SERVER,
    ("tutorials/serving.md", "curl -F image=@cat.jpg http://127.0.0.1:8000/predict"): _SERVER,
    ("tutorials/serving.md", "import httpx"): _SERVER,
    ("tutorials/serving.md", "python -m benchmarks.serve_load --clients 8 --seconds 5 --runs 3"): _BENCH,
    ("tutorials/serving.md", "from allennlp.predictors import Predictor"): _SERVER,
}


def doc_blocks() -> List[Tuple[str, str, str]]:
    """`(document, language, code)` of every ```bash and ```python block of the docs."""
    blocks = []
    for doc in DOCS:
        name = str(doc.relative_to(REPO_ROOT))
        for match in re.finditer(r"^```(bash|python)\n(.*?)^```", doc.read_text(), re.MULTILINE | re.DOTALL):
            blocks.append((name, match.group(1), match.group(2)))
    return blocks


def block(document: str, start: str) -> Tuple[str, str]:
    """`(language, code)` of the block of `document` that starts with `start`."""
    found = [(language, code) for name, language, code in doc_blocks() if name == document and code.startswith(start)]
    assert len(found) == 1, f"{len(found)} blocks of {document} start with {start!r}"
    return found[0]


def test_every_doc_block_is_run_or_listed_with_a_reason():
    listed = DIGITS_CHAIN + CAPTION_CHAIN + NOTEBOOK_CHAIN + MODEL_BLOCKS + list(NOT_RUN)
    for document, _, code in doc_blocks():
        matches = [key for key in listed if key[0] == document and code.startswith(key[1])]
        assert len(matches) == 1, f"{document}: add this block to a test or to NOT_RUN:\n{code}"
    for document, start in listed:
        block(document, start)  # no stale entry


@pytest.fixture
def checkout(tmp_path) -> Path:
    """A scratch folder laid out like the checkout (configs, plugins file) to run the docs in."""
    for name in ("training_config", "benchmarks"):
        (tmp_path / name).symlink_to(REPO_ROOT / name)
    (tmp_path / ".allennlp_plugins").write_text("allencv\n")
    bin_dir = tmp_path / ".bin"
    bin_dir.mkdir()
    allennlp = bin_dir / "allennlp"
    allennlp.write_text(
        "#!/usr/bin/env bash\n"
        '# The docs\' `allennlp`, with `allennlp train` shrunk by $DOC_TRAIN_OVERRIDES.\n'
        f'if [ "$1" = train ]; then exec "{sys.executable}" -m allennlp "$@" -o "$DOC_TRAIN_OVERRIDES"; fi\n'
        f'exec "{sys.executable}" -m allennlp "$@"\n'
    )
    allennlp.chmod(0o755)
    return tmp_path


def run_block(language: str, code: str, cwd: Path, env: Dict[str, str]) -> str:
    command = ["bash", "-euo", "pipefail", "-c", code] if language == "bash" else [sys.executable, "-c", code]
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"failed:\n{code}\n{result.stderr[-4000:]}"
    return result.stdout + result.stderr


def doc_env(checkout: Path) -> Dict[str, str]:
    return {
        **os.environ,
        "PATH": f"{checkout / '.bin'}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(REPO_ROOT),
        "DOC_TRAIN_OVERRIDES": DOC_TRAIN_OVERRIDES,
    }


@pytest.mark.slow
def test_digits_evaluation_tutorial(checkout):
    env = doc_env(checkout)
    outputs = []
    for document, start in DIGITS_CHAIN:
        if document == "README.md":  # the README's demo_output/ is what `make demo` writes
            (checkout / "demo_output").mkdir()
            (checkout / "demo_output" / "model").symlink_to(checkout / "runs" / "digits")
            (checkout / "demo_output" / "digits").symlink_to(checkout / "data" / "digits")
        if start.startswith("import numpy, onnxruntime"):  # the snippet's digit.png
            (checkout / "digit.png").write_bytes((checkout / "data/digits/test/7/0043.png").read_bytes())
        outputs.append(run_block(*block(document, start), checkout, env))
    assert "Evaluation metrics:" in outputs[0] and re.search(r"\n7 +(\d\.\d{4} +){3}\d+", outputs[0])
    assert (checkout / "runs/digits/training_curves.png").exists()
    assert (checkout / "runs/digits/report/report.md").exists()
    assert (checkout / "runs/digits_cnn/report/top_losses.png").exists()  # with Grad-CAMs: a small_cnn
    assert "heatmap" in (checkout / "runs/digits_cnn/cams.jsonl").read_text().splitlines()[0]
    assert list((checkout / "runs/digits_cnn/cams").glob("*_cam.png"))
    assert (checkout / "runs/digits/exported/model.onnx").exists()


@pytest.mark.slow
def test_images_and_text_tutorial(checkout):
    env = doc_env(checkout)
    outputs = [run_block(*block(document, start), checkout, env) for document, start in CAPTION_CHAIN]
    assert "Evaluation metrics:" in outputs[1]
    records = Path("/tmp/caption_inputs.jsonl").read_text().splitlines()
    predictions = Path("/tmp/caption_predictions.jsonl").read_text().splitlines()
    assert len(records) == len(predictions) == 1 and '"label"' in predictions[0]


@pytest.mark.slow
def test_training_from_python_tutorial(checkout):
    env = doc_env(checkout)
    (language, data), (_, notebook), (_, show_batch) = (block(document, start) for document, start in NOTEBOOK_CHAIN)
    run_block(language, data, checkout, env)
    run_block(language, show_batch, checkout, env)
    assert (checkout / "runs/digits_show_batch.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert NOTEBOOK_OVERRIDES in notebook
    output = run_block("python", notebook.replace(NOTEBOOK_OVERRIDES, NOTEBOOK_TEST_OVERRIDES), checkout, env)
    printed = re.search(r"^(\d) (0\.\d+|1\.0)$", output, re.MULTILINE)  # the block's print(): label, probability
    assert printed and 0 < float(printed.group(2)) <= 1
    assert (checkout / "runs/digits_notebook/metrics.json").exists()
    assert (checkout / "runs/digits_notebook/training_curves.png").exists()


@pytest.mark.slow  # an interpreter start-up per block
@pytest.mark.parametrize("document,start", MODEL_BLOCKS)
def test_building_a_model_from_python(document, start, torch_home, tmp_path):
    write_cached_weights(torch_home, "resnet50")  # stands in for the ImageNet download
    language, code = block(document, start)
    run_block(language, code + "\nprint(classifier)\n", tmp_path, {**os.environ, "PYTHONPATH": str(REPO_ROOT)})
