import json
from collections import defaultdict
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional

from allennlp.common.checks import ConfigurationError
from allennlp.data.dataset_readers.dataset_reader import DatasetReader
from allennlp.data.instance import Instance

from allencv.data.dataset_readers.detection_dataset_reader import CROWD, DetectionDatasetReader
from allencv.data.transforms import ImageTransform


@DatasetReader.register("coco_detection")
class CocoDetectionReader(DetectionDatasetReader):
    """
    Reads a COCO instances file (`images`, `annotations` with `bbox` as `[x, y, width, height]`
    pixels, `categories`): the `file_path` is the JSON file, and each image's `file_name` is found
    under `image_root`. Images are read in the file's order, each with all its boxes (zero
    included); labels are the category names. See `DetectionDatasetReader` for the fields,
    the box clean-up and the error handling.

    Registered as a `DatasetReader` with name "coco_detection".

    # Parameters

    image_root : `str`, optional
        The folder `file_name`s are relative to; by default the JSON file's folder.
    skip_crowd : `bool`, optional (default = `True`)
        Leave out `iscrowd` annotations (counted); `False` trains on them as ordinary boxes.
    transforms : `List[ImageTransform]`, optional
    **kwargs
        Passed to `DetectionDatasetReader`.
    """

    def __init__(
        self,
        image_root: Optional[str] = None,
        skip_crowd: bool = True,
        transforms: Optional[List[ImageTransform]] = None,
        **kwargs,
    ) -> None:
        super().__init__(transforms=transforms, **kwargs)
        self.image_root = image_root
        self.skip_crowd = skip_crowd

    def _read(self, file_path: str) -> Iterable[Instance]:
        path = Path(file_path).expanduser()
        coco = load_coco_json(path)
        root = Path(self.image_root).expanduser() if self.image_root else path.parent
        if not root.is_dir():
            raise ConfigurationError(f"dataset_reader.image_root {root} is not a folder.")
        names = {category["id"]: category["name"] for category in coco["categories"]}
        annotations: Dict[Any, List[dict]] = defaultdict(list)
        for annotation in coco["annotations"]:
            if annotation["category_id"] not in names:
                raise ConfigurationError(
                    f"{path}: annotation {annotation.get('id')} has category_id "
                    f"{annotation['category_id']}, which is not in `categories`."
                )
            annotations[annotation["image_id"]].append(annotation)
        self._start_pass()
        for image in self.shard_iterable(coco["images"]):
            image_path = root / image["file_name"]
            pixels = self.try_load_image(image_path)
            if pixels is None:
                continue
            boxes, labels = [], []
            for annotation in annotations[image["id"]]:
                if annotation.get("iscrowd", 0) and self.skip_crowd:
                    self.box_counts[CROWD] += 1
                    continue
                x, y, width, height = annotation["bbox"]
                boxes.append([x, y, x + width, y + height])
                labels.append(names[annotation["category_id"]])
            yield self.text_to_instance(pixels, boxes, labels, image_path=str(image_path))
        self._end_pass(str(path))


def load_coco_json(path: Path) -> Dict[str, List[dict]]:
    """The parsed COCO file, or a `ConfigurationError` naming it and what is wrong."""
    if not path.is_file():
        raise ConfigurationError(
            f"The COCO annotation file {path} does not exist or is not a file; point the data "
            "path at an instances JSON (e.g. annotations/instances_train2017.json)."
        )
    try:
        coco = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ConfigurationError(f"{path} is not a valid JSON file ({error}).")
    missing = [key for key in ("images", "annotations", "categories") if key not in coco]
    if missing:
        raise ConfigurationError(
            f"{path} is not a COCO instances file: it has no {', '.join(missing)} "
            f"(its keys are {', '.join(sorted(coco))})."
        )
    return coco
