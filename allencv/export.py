"""
Exporting a trained classifier archive to TorchScript and ONNX, for serving without allennlp.

The exported model takes a `float32` batch `(batch_size, 3, height, width)` of RGB pixels scaled to
[0, 1], after the archive's validation reader's transforms (e.g. resize and centre crop), and
applies the reader's `normalize` itself; it returns `(batch_size, num_labels)` probabilities in
the order of `labels` in `preprocessing.json` (softmax for `basic_image_classifier`, one sigmoid
per label for `multi_label_image_classifier`).
"""
import json
from pathlib import Path
from typing import Dict, Optional, Sequence, Tuple

import torch
from allennlp.common.checks import ConfigurationError
from allennlp.models.archival import Archive, load_archive

from allencv.data.dataset_readers.image_dataset_reader import ImageDatasetReader
from allencv.models import BasicImageClassifier, MultiLabelImageClassifier
from allencv.optional_dependencies import import_optional

EXPORT_FORMATS = ("torchscript", "onnx")
#: The side of the square image run through the reader's transforms to find the model's input size.
PROBE_SIZE = 256


class ExportableClassifier(torch.nn.Module):
    """
    A classifier as a plain module: `[0, 1]` pixels in, normalized here, probabilities out.

    # Parameters

    model : `torch.nn.Module`
        A `basic_image_classifier` or `multi_label_image_classifier`, in eval mode.
    mean : `Sequence[float]`, optional
    std : `Sequence[float]`, optional
        The reader's normalization; none when both are `None`.
    """

    def __init__(self, model: torch.nn.Module, mean: Optional[Sequence[float]], std: Optional[Sequence[float]]) -> None:
        super().__init__()
        self.model = model
        self.register_buffer("mean", torch.tensor(mean if mean is not None else [0.0] * 3).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(std if std is not None else [1.0] * 3).view(1, -1, 1, 1))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        # (batch_size, 3, height, width) in [0, 1] -> (batch_size, num_labels) probabilities.
        return self.model(image=(images - self.mean) / self.std)["probs"]


def export_archive(
    archive_file: str,
    output_dir: str,
    formats: Sequence[str] = EXPORT_FORMATS,
    image_size: Optional[Tuple[int, int]] = None,
    opset_version: int = 17,
) -> Dict[str, Path]:
    """
    Writes `model.pt` (TorchScript), `model.onnx` (batch size dynamic) and `preprocessing.json`
    (the input size, the reader's transforms, the normalization applied inside the model, the
    labels) into `output_dir`; returns their paths by format. `image_size` (`[height, width]`)
    defaults to the size of a 256x256 image after the validation reader's transforms.
    """
    unknown = sorted(set(formats) - set(EXPORT_FORMATS))
    if unknown:
        raise ConfigurationError(f"Unknown export format(s) {', '.join(unknown)}; choose from {', '.join(EXPORT_FORMATS)}.")
    archive = load_archive(archive_file)
    reader = archive.validation_dataset_reader
    if not isinstance(reader, ImageDatasetReader):
        raise ConfigurationError(f"{archive_file} was not trained with an AllenCV image reader; it cannot be exported.")
    if not isinstance(archive.model, (BasicImageClassifier, MultiLabelImageClassifier)):
        raise ConfigurationError(
            f"{archive_file} holds a {type(archive.model).__name__}; export supports classifier archives only "
            "(model types basic_image_classifier and multi_label_image_classifier)."
        )
    model = archive.model.eval()
    normalize = reader.pipeline.normalize
    exportable = ExportableClassifier(model, *((normalize.mean, normalize.std) if normalize else (None, None))).eval()
    height, width = image_size or _input_size(reader)
    example = torch.rand(2, 3, height, width)

    folder = Path(output_dir)
    folder.mkdir(parents=True, exist_ok=True)
    paths: Dict[str, Path] = {"preprocessing": folder / "preprocessing.json"}
    paths["preprocessing"].write_text(json.dumps(_preprocessing(archive, reader, [height, width]), indent=2))
    with torch.no_grad():
        if "torchscript" in formats:
            paths["torchscript"] = folder / "model.pt"
            torch.jit.trace(exportable, example).save(str(paths["torchscript"]))
        if "onnx" in formats:
            import_optional("onnx", "ONNX export")
            paths["onnx"] = folder / "model.onnx"
            torch.onnx.export(
                exportable, (example,), str(paths["onnx"]), input_names=["images"], output_names=["probs"],
                dynamic_axes={"images": {0: "batch_size"}, "probs": {0: "batch_size"}},
                opset_version=opset_version, dynamo=False,
            )
    return paths


def _input_size(reader: ImageDatasetReader) -> Tuple[int, int]:
    probe = torch.zeros(3, PROBE_SIZE, PROBE_SIZE, dtype=torch.uint8)
    height, width = reader.pipeline(probe).shape[-2:]
    return int(height), int(width)


def _preprocessing(archive: Archive, reader: ImageDatasetReader, size) -> Dict:
    model = archive.model
    normalize = reader.pipeline.normalize
    return {
        "input": {
            "name": "images",
            "shape": ["batch_size", 3] + size,
            "dtype": "float32",
            "description": "RGB pixels divided by 255, after the transforms below (which the model does not apply)",
        },
        "transforms": [repr(step) for step in reader.pipeline.transform.transforms]
        if hasattr(reader.pipeline.transform, "transforms") else [],
        "normalization_inside_the_model": {"mean": normalize.mean, "std": normalize.std} if normalize else None,
        "output": {
            "name": "probs",
            "shape": ["batch_size", len(model.label_names())],
            "activation": "sigmoid" if isinstance(model, MultiLabelImageClassifier) else "softmax",
        },
        "labels": model.label_names(),
    }
