"""
The images a classifier gets most confidently wrong (fastai's `plot_top_losses`): each with its
gold label, the predicted label and its probability, and the Grad-CAM of the prediction over it,
drawn as a grid for `allennlp classification-report`.
"""
import heapq
import itertools
import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, List, Optional, Tuple

import torch
from allennlp.data import Batch, Instance
from allennlp.models import Model
from allennlp.nn.util import move_to_device

from allencv.interpret.grad_cam import GradCam, overlay_cam, why_not_explainable
from allencv.optional_dependencies import import_optional
from allencv.predictors.image_predictor import same_size_groups

logger = logging.getLogger(__name__)


@dataclass
class TopLoss:
    """A misclassified image: its loss (`-log p(gold)`), labels and the image as the model saw it."""

    loss: float
    gold: str
    predicted: str
    probability: float  # of the predicted label
    image: torch.Tensor  # uint8 (3, height, width), as the reader's transforms left it
    image_path: Optional[str] = None
    cam: Optional[torch.Tensor] = None  # (height, width) in [0, 1], of the predicted label


def find_top_losses(
    model: Model, instances: Iterable[Instance], count: int, batch_size: int = 64, cuda_device: int = -1
) -> List[TopLoss]:
    """
    The `count` misclassified `instances` with the highest loss, highest first, each with the
    Grad-CAM of its predicted label when the model can be explained (`allencv.interpret`: an
    `im2im_encoder` whose feature map is not pooled to 1x1). The instances are read `batch_size`
    at a time and predicted one image size at a time, so none is padded and only the `count`
    worst are kept; `model` must be a `basic_image_classifier` in evaluation mode.
    """
    names = model.label_names()  # type: ignore[attr-defined]
    worst: List[Tuple[float, int, TopLoss, Instance]] = []  # a min-heap on the loss
    remaining = iter(instances)
    while chunk := list(itertools.islice(remaining, batch_size)):
        for group in same_size_groups(chunk):
            same_size = [chunk[position] for position in group]
            batch = Batch(same_size)
            batch.index_instances(model.vocab)
            tensors = move_to_device(batch.as_tensor_dict(), cuda_device)
            with torch.no_grad():
                # (group_size, num_labels)
                probs = model(image=tensors["image"])["probs"].cpu()
            gold = tensors["label"].view(-1).cpu()
            predicted = probs.argmax(dim=-1)
            for index in (predicted != gold).nonzero().view(-1).tolist():
                instance = same_size[index]
                metadata = instance["metadata"].metadata if "metadata" in instance else {}  # type: ignore[attr-defined]
                item = TopLoss(
                    loss=-math.log(max(float(probs[index, gold[index]]), 1e-12)),
                    gold=names[int(gold[index])],
                    predicted=names[int(predicted[index])],
                    probability=float(probs[index, predicted[index]]),
                    image=instance["image"].image,  # type: ignore[attr-defined]
                    image_path=metadata.get("image_path"),
                )
                entry = (item.loss, id(instance), item, instance)
                if len(worst) < count:
                    heapq.heappush(worst, entry)
                elif item.loss > worst[0][0]:
                    heapq.heapreplace(worst, entry)
    top = [(item, instance) for _, _, item, instance in sorted(worst, key=lambda entry: -entry[0])]
    reason = why_not_explainable(model)
    if reason is not None:
        logger.warning("The top-losses grid is drawn without Grad-CAMs: %s", reason)
    elif top:
        grad_cam = GradCam(model)
        for item, instance in top:
            batch = Batch([instance])
            batch.index_instances(model.vocab)
            # (1, channels, height, width), normalized as the model takes it
            image = move_to_device(batch.as_tensor_dict()["image"], cuda_device)
            item.cam = grad_cam(image, [names.index(item.predicted)])[0].cpu()
    return [item for item, _ in top]


def plot_top_losses(top_losses: List[TopLoss], path: Path, columns: int = 4) -> None:
    """Draws `top_losses` as a grid, each image with its CAM (when it has one) and labels, to `path`."""
    columns = max(1, min(columns, len(top_losses)))
    rows = max(1, math.ceil(len(top_losses) / columns))
    figure = import_optional("matplotlib.figure", "The top-losses grid").Figure(
        figsize=(2.6 * columns, 3.0 * rows + 0.4), layout="constrained"
    )
    axes = figure.subplots(rows, columns, squeeze=False)
    for position, cell in enumerate(axes.flat):
        cell.axis("off")
        if position >= len(top_losses):
            continue
        item = top_losses[position]
        picture = overlay_cam(item.image, item.cam) if item.cam is not None else item.image
        cell.imshow(picture.permute(1, 2, 0).numpy(), interpolation="nearest")
        cell.set_title(f"gold: {item.gold}\npredicted: {item.predicted} ({item.probability:.0%})", fontsize=9)
    figure.suptitle("Most confidently wrong: gold label, prediction (probability), Grad-CAM of the prediction", fontsize=10)
    figure.savefig(path, dpi=110)
