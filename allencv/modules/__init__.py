from allencv.modules.im2im_encoders import Im2ImEncoder
from allencv.modules.im2vec_encoders import Im2VecEncoder
from allencv.modules.feature_pyramid import FeaturePyramid
