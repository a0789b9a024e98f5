"""
Reading COCO instances files (`images`, `annotations`, `categories`), for the COCO readers.
"""
import json
from collections import defaultdict
from pathlib import Path
from typing import Any, Dict, List, NamedTuple, Optional

from allennlp.common.checks import ConfigurationError


class CocoFile(NamedTuple):
    """A parsed COCO instances file and the folder its images' `file_name`s are relative to."""

    path: Path
    image_root: Path
    images: List[dict]
    #: The file's `categories`, as they are.
    categories: List[dict]
    #: Category names by id, in the file's order.
    category_names: Dict[Any, str]
    #: Each image's annotations, by image id, in the file's order.
    annotations: Dict[Any, List[dict]]


def read_coco_file(file_path: str, image_root: Optional[str] = None) -> CocoFile:
    """
    Parses the COCO file `file_path`, checking that every annotation's `category_id` is one of its
    `categories`, with its images under `image_root` (by default the file's folder). Raises a
    `ConfigurationError` naming the file (or `dataset_reader.image_root`) and what is wrong.
    """
    path = Path(file_path).expanduser()
    coco = load_coco_json(path)
    root = Path(image_root).expanduser() if image_root else path.parent
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
    return CocoFile(path, root, coco["images"], coco["categories"], names, annotations)


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
