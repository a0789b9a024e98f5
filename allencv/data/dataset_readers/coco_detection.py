from typing import Iterable, List, Optional

from allennlp.data.dataset_readers.dataset_reader import DatasetReader
from allennlp.data.instance import Instance

from allencv.data.dataset_readers.coco_file import read_coco_file
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
        coco = read_coco_file(file_path, self.image_root)
        self._start_pass()
        for image in self.shard_iterable(coco.images):
            image_path = coco.image_root / image["file_name"]
            pixels = self.try_load_image(image_path)
            if pixels is None:
                continue
            boxes, labels = [], []
            for annotation in coco.annotations[image["id"]]:
                if annotation.get("iscrowd", 0) and self.skip_crowd:
                    self.box_counts[CROWD] += 1
                    continue
                x, y, width, height = annotation["bbox"]
                boxes.append([x, y, x + width, y + height])
                labels.append(coco.category_names[annotation["category_id"]])
            yield self.text_to_instance(pixels, boxes, labels, image_path=str(image_path))
        self._end_pass(str(coco.path))
