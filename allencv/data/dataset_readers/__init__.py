from allencv.data.dataset_readers.indexed_reader import IndexedReader
from allencv.data.dataset_readers.image_dataset_reader import ImageDatasetReader
from allencv.data.dataset_readers.image_classification_directory import (
    ImageClassificationDirectoryReader,
)
