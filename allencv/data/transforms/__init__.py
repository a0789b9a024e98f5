from allencv.data.transforms.image_transform import ImageTransform
from allencv.data.transforms.geometric import CenterCrop, HorizontalFlip, RandomResizedCrop, Resize
from allencv.data.transforms.normalize import Normalize
from allencv.data.transforms.image_pipeline import ImagePipeline
