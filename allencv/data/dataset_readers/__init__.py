from allencv.data.dataset_readers.image_dataset_reader import ImageDatasetReader
from allencv.data.dataset_readers.image_classification_directory import (
    ImageClassificationDirectoryReader,
)
from allencv.data.dataset_readers.semantic_segmentation_directory import (
    SemanticSegmentationDirectoryReader,
)
