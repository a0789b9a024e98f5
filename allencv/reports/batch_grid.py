"""
A grid picture of instances as a reader makes them (after its transforms, so with the training
augmentation), each with its label: the class (or classes) in the title, boxes and their labels
for detection, the mask over the image with a legend of class colours for segmentation. What
`allennlp show-batch` writes, like fastai's `show_batch`.
"""
import math
from pathlib import Path
from typing import Dict, List, Sequence, Union

import numpy
from allennlp.data import Instance
from allennlp.data.fields import LabelField, MultiLabelField

from allencv.data.fields import BoundingBoxField, ImageField, MaskField
from allencv.optional_dependencies import import_optional

#: Colours of classes (matplotlib's tab10), by class index (or box label order).
PALETTE = "tab10"


def write_batch_grid(instances: Sequence[Instance], path: Union[str, Path], columns: int = 4) -> Path:
    """Draws `instances` in a grid of `columns` and writes it to `path` (a PNG)."""
    figure_module = import_optional("matplotlib.figure", "allennlp show-batch's picture")
    patches = import_optional("matplotlib.patches", "allennlp show-batch's picture")
    colormaps = import_optional("matplotlib", "allennlp show-batch's picture").colormaps
    colours = colormaps[PALETTE].colors
    columns = max(1, min(columns, len(instances)))
    rows = math.ceil(len(instances) / columns)
    # A Figure of its own, not pyplot's: no display needed, and a notebook's backend is left alone.
    figure = figure_module.Figure(figsize=(2.6 * columns, 2.9 * rows))
    legend: Dict[str, tuple] = {}
    box_labels: List[str] = []
    for index, instance in enumerate(instances):
        axes = figure.add_subplot(rows, columns, index + 1)
        axes.set_axis_off()
        image = instance["image"]
        assert isinstance(image, ImageField)
        axes.imshow(image.image.permute(1, 2, 0).numpy())  # (H, W, C) uint8
        title = []
        for field in instance.fields.values():
            if isinstance(field, MultiLabelField):
                title.append(", ".join(map(str, field.labels)) or "(no label)")
            elif isinstance(field, LabelField):
                title.append(str(field.label))
            elif isinstance(field, MaskField):
                draw_mask(axes, field, colours, legend)
            elif isinstance(field, BoundingBoxField):
                draw_boxes(axes, patches, field, colours, box_labels)
        axes.set_title(" | ".join(title), fontsize=9)
    if legend:
        handles = [patches.Patch(facecolor=colour, label=name) for name, colour in legend.items()]
        figure.legend(handles=handles, loc="lower center", ncol=min(len(handles), 6), fontsize=8, frameon=False)
    figure.tight_layout(rect=(0, 0.06 if legend else 0, 1, 1))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    return path


def draw_mask(axes, field: MaskField, colours: Sequence[tuple], legend: Dict[str, tuple]) -> None:
    """
    The mask over the image, half transparent, with class 0 (the background) and ignored pixels
    left clear; the classes drawn go in `legend`.
    """
    mask = field.mask.numpy()
    overlay = numpy.zeros(mask.shape + (4,))
    for class_index in numpy.unique(mask):
        if class_index in (0, field.ignore_index):
            continue
        colour = colours[int(class_index) % len(colours)]
        overlay[mask == class_index] = (*colour[:3], 0.6)
        names = field.class_names
        name = names[class_index] if names is not None and class_index < len(names) else str(class_index)
        legend.setdefault(name, colour)
    axes.imshow(overlay)


def draw_boxes(axes, patches, field: BoundingBoxField, colours: Sequence[tuple], box_labels: List[str]) -> None:
    """Each box in its label's colour, the label on a filled background at its top-left corner."""
    for box, label in zip(field.boxes.tolist(), field.labels):
        if label not in box_labels:
            box_labels.append(label)
        colour = colours[box_labels.index(label) % len(colours)]
        x1, y1, x2, y2 = box
        axes.add_patch(patches.Rectangle((x1, y1), x2 - x1, y2 - y1, fill=False, edgecolor=colour, linewidth=1.5))
        axes.text(x1, y1, str(label), fontsize=7, color="white", verticalalignment="bottom",
                  bbox={"facecolor": colour, "edgecolor": "none", "pad": 1})
