import contextlib
import io
from typing import Any, Dict, List, Optional

import numpy
import torch
from allennlp.training.metrics.metric import Metric

from allencv.optional_dependencies import import_optional
from allencv.training.metrics.gathering import gather_from_processes

Target = Dict[str, torch.Tensor]


@Metric.register("mask_average_precision")
class MaskAveragePrecision(Metric):
    """
    COCO's instance segmentation ("segm") average precision, computed by pycocotools'
    `COCOeval(iouType="segm")` over every image seen since the last reset (gathered from
    distributed workers): each image's detections of a class, best score first, are matched to its
    gold objects of that class by the intersection over union of their masks. The masks are kept
    as compressed RLE (a few hundred bytes each) until then.

    - `mask_map`: average precision averaged over IoU thresholds .5, .55, ..., .95;
    - `mask_map_50`, `mask_map_75`: at IoU .5 and .75;
    - `mask_mar_100`: recall averaged over the thresholds, at most 100 detections per image;
    - `mask_AP_<name>`: `mask_map` of each class with gold objects, named by `class_names`.

    Nothing is reported when no image has a gold object.

    Registered as a `Metric` with name "mask_average_precision".

    # Parameters

    class_names : `Dict[int, str]`, optional
        The name of each label id, for the per-class metrics (the id itself where not given).
    """

    def __init__(self, class_names: Optional[Dict[int, str]] = None) -> None:
        self.class_names = dict(class_names or {})
        self._images: List[Dict[str, Any]] = []

    def __call__(self, predictions: List[Target], gold: List[Target]) -> None:  # type: ignore
        """
        # Parameters

        predictions : `List[Dict[str, torch.Tensor]]`
            Per image, `labels` `(num_detections,)`, `scores` `(num_detections,)` and `masks`
            `(num_detections, height, width)`, nonzero inside each detection.
        gold : `List[Dict[str, torch.Tensor]]`
            Per image, `labels` `(num_boxes,)` and `masks` `(num_boxes, height, width)`.
        """
        for prediction, target in zip(predictions, gold):
            self._images.append({
                "size": list(target["masks"].shape[-2:]),
                "predicted": {
                    "labels": prediction["labels"].tolist(),
                    "scores": prediction["scores"].tolist(),
                    "masks": encode_masks(prediction["masks"]),
                },
                "gold": {"labels": target["labels"].tolist(), "masks": encode_masks(target["masks"])},
            })

    def get_metric(self, reset: bool = False) -> Dict[str, float]:
        images = [image for process_images in gather_from_processes(self._images) for image in process_images]
        metrics = self._evaluate(images)
        if reset:
            self.reset()
        return metrics

    def reset(self) -> None:
        self._images = []

    def _evaluate(self, images: List[Dict[str, Any]]) -> Dict[str, float]:
        coco_mask = import_optional("pycocotools.mask", "mask_average_precision")
        gold_annotations, results, categories = [], [], set()
        for image_id, image in enumerate(images):
            gold, predicted = image["gold"], image["predicted"]
            for label, rle in zip(gold["labels"], gold["masks"]):
                gold_annotations.append({
                    "id": len(gold_annotations) + 1, "image_id": image_id, "category_id": label, "iscrowd": 0,
                    "segmentation": rle, "area": float(coco_mask.area(rle)), "bbox": coco_mask.toBbox(rle).tolist(),
                })
                categories.add(label)
            for label, score, rle in zip(predicted["labels"], predicted["scores"], predicted["masks"]):
                results.append({"image_id": image_id, "category_id": label, "score": score, "segmentation": rle})
                categories.add(label)
        if not gold_annotations:
            return {}
        if not results:
            return {"mask_map": 0.0, "mask_map_50": 0.0, "mask_map_75": 0.0, "mask_mar_100": 0.0}
        coco = import_optional("pycocotools.coco", "mask_average_precision")
        cocoeval = import_optional("pycocotools.cocoeval", "mask_average_precision")
        # pycocotools reports its progress on stdout.
        with contextlib.redirect_stdout(io.StringIO()):
            coco_gold = coco.COCO()
            coco_gold.dataset = {
                "images": [
                    {"id": image_id, "height": image["size"][0], "width": image["size"][1]}
                    for image_id, image in enumerate(images)
                ],
                "annotations": gold_annotations,
                "categories": [{"id": category} for category in sorted(categories)],
            }
            coco_gold.createIndex()
            evaluation = cocoeval.COCOeval(coco_gold, coco_gold.loadRes(results), iouType="segm")
            evaluation.evaluate()
            evaluation.accumulate()
            evaluation.summarize()
        # COCOeval's stats: AP, AP@.5, AP@.75, AP small/medium/large, AR@1, AR@10, AR@100, ...
        stats = evaluation.stats
        metrics = {
            "mask_map": float(stats[0]), "mask_map_50": float(stats[1]),
            "mask_map_75": float(stats[2]), "mask_mar_100": float(stats[8]),
        }
        # precision: (IoU thresholds, recall points, categories, area ranges, max detections); -1 where undefined.
        precision = evaluation.eval["precision"][:, :, :, 0, -1]
        gold_categories = {annotation["category_id"] for annotation in gold_annotations}
        for index, category in enumerate(evaluation.params.catIds):
            values = precision[:, :, index]
            if category in gold_categories and (values > -1).any():
                metrics[f"mask_AP_{self.class_names.get(category, category)}"] = float(values[values > -1].mean())
        return metrics


def encode_masks(masks: torch.Tensor) -> List[Dict[str, Any]]:
    """COCO's compressed RLE (`{"size": [height, width], "counts": str}`) of each of `(num_masks, height, width)` masks."""
    coco_mask = import_optional("pycocotools.mask", "mask_average_precision")
    # pycocotools wants (height, width, num_masks) uint8 in Fortran order.
    array = numpy.asfortranarray(masks.detach().ne(0).to(torch.uint8).permute(1, 2, 0).cpu().numpy())
    encoded = coco_mask.encode(array) if array.shape[2] else []
    return [{"size": list(rle["size"]), "counts": rle["counts"].decode("ascii")} for rle in encoded]
