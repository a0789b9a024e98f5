import contextlib
import io
from typing import Any, Dict, List, Sequence

import numpy
import torch
from allennlp.training.metrics.metric import Metric
from torchvision.models.detection import KeypointRCNN_ResNet50_FPN_Weights

from allencv.optional_dependencies import import_optional
from allencv.training.metrics.gathering import gather_from_processes

#: COCO's per-keypoint OKS sigmas of its person keypoints, by name: pycocotools' defaults
#: (`COCOeval(iouType="keypoints").params.kpt_oks_sigmas`), written out so that reading them
#: needs no pycocotools.
COCO_PERSON_SIGMAS = dict(zip(
    KeypointRCNN_ResNet50_FPN_Weights.DEFAULT.meta["keypoint_names"],
    [0.026, 0.025, 0.025, 0.035, 0.035, 0.079, 0.079, 0.072, 0.072, 0.062, 0.062,
     0.107, 0.107, 0.087, 0.087, 0.089, 0.089],
))
#: The OKS sigma of a keypoint COCO does not name.
DEFAULT_SIGMA = 0.05

Target = Dict[str, torch.Tensor]


@Metric.register("keypoint_average_precision")
class KeypointAveragePrecision(Metric):
    """
    COCO's keypoint average precision, computed by pycocotools' `COCOeval(iouType="keypoints")`
    over every image seen since the last reset (gathered from distributed workers): each image's
    detections of a class, best score first, are matched to its gold objects of that class by
    object keypoint similarity,

        OKS = mean over the gold object's labelled keypoints of exp(-d^2 / (2 * area * (2 * sigma)^2))

    where `d` is the distance between the predicted and gold keypoint and `area` is the gold
    object's box area (COCO uses its segmentation's). Gold objects without labelled keypoints are
    ignored, as in COCO; at most 20 detections per image count.

    - `keypoint_map`: average precision averaged over OKS thresholds .5, .55, ..., .95;
    - `keypoint_map_50`, `keypoint_map_75`: at OKS .5 and .75;
    - `keypoint_mar`: recall averaged over the thresholds.

    Nothing is reported when no gold object has labelled keypoints.

    Registered as a `Metric` with name "keypoint_average_precision".

    # Parameters

    sigmas : `Sequence[float]`
        The OKS sigma of each keypoint, in the order of the keypoint rows: how far (as a fraction
        of the object's size) annotators place it from where it truly is. See `COCO_PERSON_SIGMAS`.
    """

    def __init__(self, sigmas: Sequence[float]) -> None:
        self.sigmas = numpy.array(sigmas, dtype=numpy.float64)
        self._images: List[Dict[str, Any]] = []

    def __call__(self, predictions: List[Target], gold: List[Target]) -> None:  # type: ignore
        """
        # Parameters

        predictions : `List[Dict[str, torch.Tensor]]`
            Per image, `labels` `(num_detections,)`, `scores` `(num_detections,)` and `keypoints`
            `(num_detections, num_keypoints, 2 or more)` (x, y first), as torchvision's keypoint
            models return them in evaluation.
        gold : `List[Dict[str, torch.Tensor]]`
            Per image, `boxes` `(num_boxes, 4)` xyxy, `labels` `(num_boxes,)` and `keypoints`
            `(num_boxes, num_keypoints, 3)` (x, y, visibility).
        """
        for prediction, target in zip(predictions, gold):
            self._images.append({
                "predicted": {key: prediction[key].detach().cpu().numpy() for key in ("labels", "scores", "keypoints")},
                "gold": {key: target[key].detach().cpu().numpy() for key in ("boxes", "labels", "keypoints")},
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
        gold_annotations, results, categories = [], [], set()
        for image_id, image in enumerate(images):
            gold, predicted = image["gold"], image["predicted"]
            for box, label, points in zip(gold["boxes"].tolist(), gold["labels"].tolist(), gold["keypoints"]):
                x1, y1, x2, y2 = box
                gold_annotations.append({
                    "id": len(gold_annotations) + 1, "image_id": image_id, "category_id": label, "iscrowd": 0,
                    "bbox": [x1, y1, x2 - x1, y2 - y1], "area": (x2 - x1) * (y2 - y1),
                    "keypoints": points.reshape(-1).tolist(), "num_keypoints": int((points[:, 2] > 0).sum()),
                })
                categories.add(label)
            for label, score, points in zip(predicted["labels"].tolist(), predicted["scores"].tolist(), predicted["keypoints"]):
                # COCO's result format: (x, y, visibility) per keypoint; the visibility is not used.
                with_visibility = numpy.concatenate([points[:, :2], numpy.ones((len(points), 1))], axis=1)
                results.append({
                    "image_id": image_id, "category_id": label, "score": score,
                    "keypoints": with_visibility.reshape(-1).tolist(),
                })
                categories.add(label)
        if not any(annotation["num_keypoints"] for annotation in gold_annotations):
            return {}
        if not results:
            return {"keypoint_map": 0.0, "keypoint_map_50": 0.0, "keypoint_map_75": 0.0, "keypoint_mar": 0.0}
        coco = import_optional("pycocotools.coco", "keypoint_average_precision")
        cocoeval = import_optional("pycocotools.cocoeval", "keypoint_average_precision")
        # pycocotools reports its progress on stdout.
        with contextlib.redirect_stdout(io.StringIO()):
            coco_gold = coco.COCO()
            coco_gold.dataset = {
                "images": [{"id": image_id} for image_id in range(len(images))],
                "annotations": gold_annotations,
                "categories": [{"id": category} for category in sorted(categories)],
            }
            coco_gold.createIndex()
            evaluation = cocoeval.COCOeval(coco_gold, coco_gold.loadRes(results), iouType="keypoints")
            evaluation.params.kpt_oks_sigmas = self.sigmas
            evaluation.evaluate()
            evaluation.accumulate()
            evaluation.summarize()
        # COCOeval's keypoint stats: AP, AP@.5, AP@.75, AP medium, AP large, AR, ...
        stats = evaluation.stats
        return {
            "keypoint_map": float(stats[0]), "keypoint_map_50": float(stats[1]),
            "keypoint_map_75": float(stats[2]), "keypoint_mar": float(stats[5]),
        }
