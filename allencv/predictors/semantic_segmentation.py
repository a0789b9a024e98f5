import base64
import io
from typing import Any, Dict, List, Optional, Tuple

import numpy
import PIL.Image
import PIL.ImageDraw
import PIL.ImageFont
import torch
from allennlp.common.checks import ConfigurationError
from allennlp.common.util import JsonDict, sanitize
from allennlp.data import Instance
from allennlp.models import Model
from allennlp.predictors.predictor import Predictor
from torchvision.utils import draw_segmentation_masks

from allencv.data.dataset_readers.segmentation_dataset_reader import SegmentationDatasetReader
from allencv.data.dataset_readers.semantic_segmentation_directory import voc_palette
from allencv.data.image_loading import ImageSource
from allencv.optional_dependencies import import_optional
from allencv.predictors.image_predictor import ImagePredictor, decode_base64_image
from allencv.predictors.overlay_folder import OverlayFolder

MASK_FORMATS = ("png", "rle")


@Predictor.register("semantic_segmentation")
class SemanticSegmentationPredictor(ImagePredictor):
    """
    Labels every pixel of an image with a segmentation model; the default predictor of
    `semantic_segmentation` and `torchvision_segmentation`. The predicted mask is resized
    (nearest neighbour) back to the image's original size, so it lines up with the input file
    when the reader's transforms only resize.

    Each output holds:

    - `mask`: with `mask_format="png"`, the base64 of a palette PNG whose pixel values are class
      indices (drawn in VOC's colours); with `"rle"`, `{class name: COCO RLE}` for each class
      present (`pycocotools.mask.decode` reads them back);
    - `classes_present`: the names of the predicted classes, in index order, and `class_pixels`,
      their pixel counts;
    - `class_names`: every class name, in index order;
    - `overlay` (when `overlay` is true): the base64 of a PNG of the image with the predicted
      classes drawn over it by `torchvision.utils.draw_segmentation_masks` (the image's size, so
      it lies over the image, as the web page draws it);
    - `overlay_path` (when `overlay_dir` is set, in place of `overlay`): a PNG written there, the
      overlay with a legend below it (each class present, its colour and name);
    - `image_path`, when the input named a file.

    Pass options on the command line with `--predictor-args '{"mask_format": "rle", "overlay_dir": "overlays"}'`.

    Registered as a `Predictor` with name "semantic_segmentation".

    # Parameters

    model : `Model`
    dataset_reader : `SegmentationDatasetReader`
        `semantic_segmentation_directory` or `coco_segmentation`.
    mask_format : `str`, optional (default = `"png"`)
    overlay : `bool`, optional (default = `False`)
    alpha : `float`, optional (default = `0.5`)
        Opacity of the classes in the overlay.
    overlay_dir : `str`, optional
        A folder (created if needed) to write the overlays with their legends into.
    """

    def __init__(
        self,
        model: Model,
        dataset_reader: SegmentationDatasetReader,
        mask_format: str = "png",
        overlay: bool = False,
        alpha: float = 0.5,
        overlay_dir: Optional[str] = None,
        **kwargs,
    ) -> None:
        super().__init__(model, dataset_reader, **kwargs)
        if mask_format not in MASK_FORMATS:
            raise ConfigurationError(f"mask_format must be one of {MASK_FORMATS}, got {mask_format!r}.")
        self.mask_format = mask_format
        self.overlay_dir = OverlayFolder(overlay_dir) if overlay_dir else None
        self.overlay = overlay or self.overlay_dir is not None
        self.alpha = alpha
        self.palette = voc_palette()

    def predict(self, image: ImageSource) -> JsonDict:
        return self.predict_instance(self._image_to_instance(image))

    def predict_batch(self, images: List[ImageSource]) -> List[JsonDict]:
        # The service's path: each instance keeps its original image for the overlay too.
        return self.predict_batch_instance([self._image_to_instance(image) for image in images])

    def _image_to_instance(self, image: ImageSource) -> Instance:
        instance = self._dataset_reader.text_to_instance(image)
        if self.overlay:
            self._keep_original_image(instance, image)
        return instance

    def _json_to_instance(self, json_dict: JsonDict) -> Instance:
        instance = super()._json_to_instance(json_dict)
        if self.overlay:
            source = json_dict.get("image_path") or decode_base64_image(json_dict["image"])
            self._keep_original_image(instance, source)
        return instance

    def _keep_original_image(self, instance: Instance, source: ImageSource) -> None:
        # The overlay is drawn on the image as given, not as transformed for the model.
        instance["metadata"].metadata["original_image"] = self._dataset_reader.load_image(source)

    def predict_instance(self, instance: Instance) -> JsonDict:
        return self.predict_batch_instance([instance])[0]

    def predict_batch_instance(self, instances: List[Instance]) -> List[JsonDict]:
        # The raw per-pixel logits are far too big for JSON: only the masks are returned.
        outputs = self.forward_by_size(instances)
        return sanitize([self._describe(output) for output in outputs])

    def _describe(self, output: Dict[str, Any]) -> JsonDict:
        metadata = output["metadata"]
        height, width = metadata["image_size"]
        # (height, width) without batch padding, at the original image size
        mask = torch.as_tensor(output["mask"])[:height, :width]
        original_height, original_width = metadata["original_size"]
        if (height, width) != (original_height, original_width):
            mask = torch.nn.functional.interpolate(
                mask[None, None].float(), size=(original_height, original_width), mode="nearest"
            )[0, 0].long()
        class_names = self._model.class_names
        present = torch.unique(mask).tolist()
        result: JsonDict = {
            "mask": self._encode_mask(mask, [class_names[index] for index in present], present),
            "classes_present": [class_names[index] for index in present],
            "class_pixels": {class_names[index]: int((mask == index).sum()) for index in present},
            "class_names": class_names,
        }
        if metadata.get("image_path") is not None:
            result["image_path"] = metadata["image_path"]
        if self.overlay_dir is not None:
            drawn = self._overlay(metadata["original_image"], mask, present)
            legend = [(class_names[index], self.palette[index]) for index in present]
            result["overlay_path"] = self.overlay_dir.save(with_legend(drawn, legend), result.get("image_path"))
        elif self.overlay:
            result["overlay"] = _png_base64(self._overlay(metadata["original_image"], mask, present))
        return result

    def _encode_mask(self, mask: torch.Tensor, names: List[str], indices: List[int]) -> Any:
        if self.mask_format == "rle":
            binary = numpy.asfortranarray(
                numpy.stack([(mask == index).numpy() for index in indices], axis=-1).astype(numpy.uint8)
            )
            encoded = import_optional("pycocotools.mask", 'mask_format: "rle"').encode(binary)
            return {
                name: {"size": rle["size"], "counts": rle["counts"].decode("ascii")}
                for name, rle in zip(names, encoded)
            }
        image = PIL.Image.fromarray(mask.numpy().astype(numpy.uint8), mode="P")
        image.putpalette([channel for color in self.palette for channel in color])
        return _png_base64(image)

    def _overlay(self, image: torch.Tensor, mask: torch.Tensor, indices: List[int]) -> PIL.Image.Image:
        masks = torch.stack([mask == index for index in indices])
        colors = [self.palette[index] for index in indices]
        drawn = draw_segmentation_masks(image, masks, alpha=self.alpha, colors=colors)
        return PIL.Image.fromarray(drawn.permute(1, 2, 0).numpy())


#: The legend's row height and swatch side, in pixels.
LEGEND_ROW, LEGEND_SWATCH = 16, 12


def with_legend(image: PIL.Image.Image, classes: List[Tuple[str, Tuple[int, int, int]]]) -> PIL.Image.Image:
    """`image` with a white strip below it: a row per class, its colour swatch and its name."""
    font = PIL.ImageFont.load_default()
    width = max([image.width] + [LEGEND_ROW + int(font.getlength(name)) + 8 for name, _ in classes])
    legend = PIL.Image.new("RGB", (width, image.height + LEGEND_ROW * len(classes) + 4), "white")
    legend.paste(image.convert("RGB"), (0, 0))
    draw = PIL.ImageDraw.Draw(legend)
    for row, (name, colour) in enumerate(classes):
        top = image.height + 2 + row * LEGEND_ROW
        draw.rectangle([4, top + 2, 4 + LEGEND_SWATCH, top + 2 + LEGEND_SWATCH], fill=tuple(colour), outline="black")
        draw.text((LEGEND_ROW + 4, top + 2), name, fill="black", font=font)
    return legend


def _png_base64(image: PIL.Image.Image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")
