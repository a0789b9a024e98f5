from typing import List, Optional, Sequence, Tuple

import PIL.Image
import PIL.ImageColor
import PIL.ImageDraw
import PIL.ImageFont
import torch
from allennlp.common.util import JsonDict
from allennlp.data import DatasetReader, Instance
from allennlp.models import Model
from allennlp.predictors.predictor import Predictor
from torchvision.utils import draw_bounding_boxes, draw_keypoints, draw_segmentation_masks

from allencv.optional_dependencies import import_optional
from allencv.predictors.image_predictor import ImagePredictor
from allencv.predictors.overlay_folder import OverlayFolder

#: Box colours, one per label (cycled by vocabulary index).
PALETTE = ["red", "lime", "blue", "yellow", "magenta", "cyan", "orange", "white"]


@Predictor.register("object_detector")
class ObjectDetectorPredictor(ImagePredictor):
    """
    Detects objects with an `ObjectDetector`; the detection models' default predictor. Each
    output holds, for the detections scoring at least `score_threshold`, best first: `boxes`
    (`[x1, y1, x2, y2]` pixels of the image as the reader's transforms left it, i.e. of the
    original image when the validation reader does not resize), `labels` (names), `label_ids`
    and `scores`; with a keypoint model (`keypoint_rcnn`), also `keypoints` (per detection, an
    `[x, y]` per keypoint), `keypoint_scores`, `keypoint_names` (the names of those rows) and
    `keypoint_skeleton` (the pairs of rows to join, as indices); with an instance segmentation
    model (`mask_rcnn`), also `masks` (per detection, its mask as COCO's compressed RLE,
    `{"size": [height, width], "counts": str}`; `pycocotools.mask.decode` gives the pixels);
    plus `image_path` when the input named a file, and `overlay_path` when `overlay_dir` is set:
    there, each image is saved as a PNG with its boxes drawn (`torchvision.utils.draw_bounding_boxes`),
    their masks filled translucent in the box's colour (`torchvision.utils.draw_segmentation_masks`)
    and their keypoints, joined by the model's skeleton (`torchvision.utils.draw_keypoints`).
    Inputs are as for every `ImagePredictor`.

    With `allennlp predict`, set the options with `--predictor-args`, e.g.
    `--predictor-args '{"score_threshold": 0.3, "overlay_dir": "overlays"}'`.

    Registered as a `Predictor` with name "object_detector".

    # Parameters

    model : `Model`
    dataset_reader : `DatasetReader`
    frozen : `bool`, optional (default = `True`)
    score_threshold : `float`, optional (default = `0.5`)
    overlay_dir : `str`, optional
        A folder (created if needed) to write the overlay images into.
    """

    def __init__(
        self,
        model: Model,
        dataset_reader: DatasetReader,
        frozen: bool = True,
        score_threshold: float = 0.5,
        overlay_dir: Optional[str] = None,
    ) -> None:
        super().__init__(model, dataset_reader, frozen)
        self.score_threshold = score_threshold
        self.overlay_dir = OverlayFolder(overlay_dir) if overlay_dir else None

    def predict_instance(self, instance: Instance) -> JsonDict:
        return self.predict_batch_instance([instance])[0]

    def predict_batch_instance(self, instances: List[Instance]) -> List[JsonDict]:
        outputs = super().predict_batch_instance(instances)
        return [self._keep_confident(instance, output) for instance, output in zip(instances, outputs)]

    def _keep_confident(self, instance: Instance, output: JsonDict) -> JsonDict:
        keep = [index for index, score in enumerate(output["scores"]) if score >= self.score_threshold]
        for key in ("boxes", "labels", "label_ids", "scores", "keypoints", "keypoint_scores", "masks"):
            if key in output:
                output[key] = [output[key][index] for index in keep]
        if self.overlay_dir is not None:
            output["overlay_path"] = self._write_overlay(instance, output)
        return output

    def _write_overlay(self, instance: Instance, output: JsonDict) -> str:
        drawn = instance["image"].image  # type: ignore
        if output.get("masks"):
            drawn = draw_masks(drawn, output["masks"], [PALETTE[index % len(PALETTE)] for index in output["label_ids"]])
        if output["boxes"]:
            colors = [PALETTE[index % len(PALETTE)] for index in output["label_ids"]]
            drawn = draw_bounding_boxes(drawn, torch.tensor(output["boxes"], dtype=torch.float32), colors=colors, width=2)
        if output.get("keypoints"):
            skeleton = [tuple(pair) for pair in output["keypoint_skeleton"]]
            for points, label_id in zip(output["keypoints"], output["label_ids"]):
                drawn = draw_keypoints(
                    drawn, torch.tensor([points], dtype=torch.float32), connectivity=skeleton,
                    colors=PALETTE[label_id % len(PALETTE)], radius=2, width=1,
                )
        overlay = PIL.Image.fromarray(drawn.permute(1, 2, 0).numpy())
        if output["boxes"]:
            texts = [f"{label} {score:.2f}" for label, score in zip(output["labels"], output["scores"])]
            draw_labels(overlay, output["boxes"], texts, [PALETTE[index % len(PALETTE)] for index in output["label_ids"]])
        return self.overlay_dir.save(overlay, output.get("image_path"))


def draw_masks(image: torch.Tensor, masks: List[JsonDict], colours: List[str]) -> torch.Tensor:
    """`image` (`(3, height, width)` `uint8`) with each COCO RLE of `masks` filled translucent in its colour."""
    coco_mask = import_optional("pycocotools.mask", "Drawing instance masks")
    # (num_masks, height, width)
    pixels = torch.stack([
        torch.from_numpy(coco_mask.decode({**rle, "counts": rle["counts"].encode("ascii")})).bool() for rle in masks
    ])
    return draw_segmentation_masks(image, pixels, alpha=0.5, colors=colours)


Rectangle = Tuple[int, int, int, int]


def draw_labels(image: PIL.Image.Image, boxes: Sequence[Sequence[float]], texts: Sequence[str], colors: Sequence[str]) -> List[Rectangle]:
    """
    Draws each box's label on a filled background of the box's colour (black or white text,
    whichever reads better), in place: above the box's top-left corner, else inside it, else below
    it, moved inside the image where it would be cut off, and moved down past labels already drawn
    (boxes in the given order, the most confident first) so that none covers another. Returns the
    labels' rectangles `(left, top, right, bottom)`.
    """
    draw = PIL.ImageDraw.Draw(image)
    font = PIL.ImageFont.load_default()
    placed: List[Rectangle] = []
    for box, text, color in zip(boxes, texts, colors):
        left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
        width, height = right - left + 4, bottom - top + 4
        x1, y1, _, y2 = (int(round(value)) for value in box)
        x = min(max(x1, 0), max(image.width - width, 0))
        candidates = [y1 - height, y1, y2]  # above the box, inside its top, below it
        fitting = [y for y in candidates if 0 <= y <= image.height - height] or [min(max(y1, 0), max(image.height - height, 0))]
        rectangle = free_rectangle(x, fitting, width, height, placed, image.height)
        placed.append(rectangle)
        red, green, blue = PIL.ImageColor.getrgb(color)[:3]
        ink = "black" if 0.299 * red + 0.587 * green + 0.114 * blue > 140 else "white"
        draw.rectangle(rectangle, fill=color)
        draw.text((rectangle[0] + 2 - left, rectangle[1] + 2 - top), text, fill=ink, font=font)
    return placed


def free_rectangle(x: int, tops: Sequence[int], width: int, height: int, placed: Sequence[Rectangle], image_height: int) -> Rectangle:
    """The first of `tops` where a `width` x `height` label at `x` overlaps no placed one, else the first free one below."""
    def overlaps(rectangle: Rectangle) -> bool:
        return any(rectangle[0] <= other[2] and other[0] <= rectangle[2] and rectangle[1] <= other[3] and other[1] <= rectangle[3] for other in placed)

    for top in tops:
        rectangle = (x, top, x + width - 1, top + height - 1)
        if not overlaps(rectangle):
            return rectangle
    top = tops[0]
    while overlaps((x, top, x + width - 1, top + height - 1)) and top + height < image_height:
        top += 1
    return (x, top, x + width - 1, top + height - 1)
