from allencv.modules.batch_augmentations.batch_augmentation import BatchAugmentation
from allencv.modules.batch_augmentations.mix import CutMix, MixUp, RandomChoice
