import torch

from allencv.modules.im2im_encoders import ResnetEncoder
from allencv.modules.im2im_encoders.im2im_encoder import FeatureInfo
from allencv.modules.segmentation_decoders import FpnDecoder


def test_merges_the_stages_at_the_finest_stride():
    encoder = ResnetEncoder("resnet18", weights=None, pool=None).eval()
    decoder = FpnDecoder(encoder.get_feature_info(), pyramid_channels=8, output_channels=12)
    assert (decoder.get_output_channels(), decoder.get_output_stride()) == (12, 4)
    # 72 x 40 pixels: stride 32 rounds up, so the levels' sizes are not exact multiples.
    output = decoder(encoder.forward_features(torch.rand(2, 3, 72, 40)))
    assert output.shape == (2, 12, 18, 10)


def test_uses_only_the_chosen_stages():
    info = [FeatureInfo("c2", 4, 4), FeatureInfo("c3", 6, 8), FeatureInfo("c4", 8, 16)]
    decoder = FpnDecoder(info, feature_names=["c4", "c3"], pyramid_channels=8, output_channels=8)
    assert decoder.get_output_stride() == 8
    output = decoder({"c3": torch.rand(1, 6, 8, 8), "c4": torch.rand(1, 8, 4, 4)})
    assert output.shape == (1, 8, 8, 8)
