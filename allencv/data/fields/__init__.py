from allencv.data.fields.image_field import ImageField
from allencv.data.fields.bounding_box_field import BoundingBoxField
from allencv.data.fields.training_label_field import TrainingLabelField
from allencv.data.fields.mask_field import MaskField
