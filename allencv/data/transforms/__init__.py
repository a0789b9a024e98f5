from allencv.data.transforms.image_transform import ImageTransform
from allencv.data.transforms.geometric import (
    CenterCrop,
    HorizontalFlip,
    RandomCrop,
    RandomResizedCrop,
    Resize,
    Rotation,
    VerticalFlip,
)
from allencv.data.transforms.photometric import ColorJitter, GaussianBlur, Grayscale, RandomErasing
from allencv.data.transforms.auto_augment import AugMix, AutoAugment, RandAugment, TrivialAugmentWide
from allencv.data.transforms.normalize import Normalize
from allencv.data.transforms.image_pipeline import ImagePipeline
