from allencv.data.fields.image_field import ImageField
from allencv.data.fields.mask_field import MaskField
