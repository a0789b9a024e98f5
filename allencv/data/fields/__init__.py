from allencv.data.fields.image_field import ImageField
