"""AllenCV uses allennlp's and torchvision's public APIs, not their private attributes."""
import re
from pathlib import Path

from allencv.modules.efficientnet_lite import EfficientNet_Lite0_Weights

PACKAGE = Path(__file__).parent.parent / "allencv"
#: Private names of allennlp and torchvision, and the public API to use instead.
PRIVATE = {
    r"\._registry\b": "Registrable.list_available() / resolve_class_name()",
    r"\._worker_info\b": "DatasetReader.get_worker_info()",
    r"\._distributed_info\b": "DatasetReader.get_distributed_info()",
    r"\bpredictor\._model\b": "ImagePredictor.model",
    r"\bpredictor\._dataset_reader\b": "ImagePredictor.dataset_reader",
    r"torchvision\.transforms\._presets": "a weights enum's transforms",
}


def test_no_private_attributes_of_allennlp_or_torchvision():
    found = [
        f"{path.relative_to(PACKAGE.parent)}:{number}: {line.strip()} (use {PRIVATE[pattern]})"
        for path in sorted(PACKAGE.rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        for pattern in PRIVATE if re.search(pattern, line)
    ]
    assert not found, "\n".join(found)


def test_efficientnet_lite_preprocessing_through_the_public_weights_api():
    preset = EfficientNet_Lite0_Weights.DEFAULT.transforms()
    assert (preset.crop_size, preset.resize_size, preset.interpolation.value) == ([224], [256], "bicubic")
    assert preset.mean == [127 / 255] * 3 and preset.std == [128 / 255] * 3
