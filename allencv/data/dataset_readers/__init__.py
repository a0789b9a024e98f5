from allencv.data.dataset_readers.indexed_reader import IndexedReader
from allencv.data.dataset_readers.image_dataset_reader import ImageDatasetReader
from allencv.data.dataset_readers.image_classification_directory import (
    ImageClassificationDirectoryReader,
)
from allencv.data.dataset_readers.detection_dataset_reader import DetectionDatasetReader
from allencv.data.dataset_readers.coco_detection import CocoDetectionReader
from allencv.data.dataset_readers.voc_detection import VocDetectionReader
from allencv.data.dataset_readers.image_manifest import ImageManifestReader
from allencv.data.dataset_readers.segmentation_dataset_reader import SegmentationDatasetReader
from allencv.data.dataset_readers.semantic_segmentation_directory import (
    SemanticSegmentationDirectoryReader,
)
from allencv.data.dataset_readers.coco_segmentation import CocoSegmentationReader
