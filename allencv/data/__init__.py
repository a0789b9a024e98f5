from allencv.data.image_loading import ImageLoadError, load_image
from allencv.data.fields import ImageField
from allencv.data.transforms import ImagePipeline, ImageTransform
from allencv.data import data_loaders, dataset_readers
from allencv.data.sorted_labels_vocabulary import SortedLabelsVocabulary
from allencv.data.shard_index_vocabulary import ShardIndexVocabulary
