from typing import Dict, List, Sequence

import torch
from allennlp.common.checks import ConfigurationError

from allencv.modules.im2im_encoders.im2im_encoder import FeatureInfo, Im2ImEncoder


@Im2ImEncoder.register("small_cnn")
class SmallCnnEncoder(Im2ImEncoder):
    """
    A small VGG-style network to train from scratch on small images (MNIST- or CIFAR-sized):
    stages of `convs_per_stage` 3x3 convolutions with batch norm and ReLU, each stage but the
    first starting with a 2x2 max-pool, so stage `i` has stride `2 ** i`. Stages are named
    `stage1`, `stage2`, ... for `forward_features`; `forward` returns the last one's map.

    Registered as an `Im2ImEncoder` with name "small_cnn".

    # Parameters

    stage_channels : `Sequence[int]`, optional (default = `(32, 64, 128)`)
        Output channels of each stage.
    convs_per_stage : `int`, optional (default = `2`)
    input_channels : `int`, optional (default = `3`)
        Channels of the input images (readers decode to RGB).
    channels_last : `bool`, optional (default = `False`)
        Run the convolutions in torch's `channels_last` memory format (weights and inputs). On the
        2-core AMD EPYC CPU of `tutorials/performance.md` it cut the CPU time of a training step of
        the default stages on 28 px images by about a quarter; measure it on yours
        (`python -m benchmarks.channels_last`).
    """

    def __init__(
        self,
        stage_channels: Sequence[int] = (32, 64, 128),
        convs_per_stage: int = 2,
        input_channels: int = 3,
        channels_last: bool = False,
    ) -> None:
        super().__init__()
        if not stage_channels or convs_per_stage < 1:
            raise ConfigurationError(
                "small_cnn needs at least one stage (stage_channels) and convs_per_stage >= 1."
            )
        self.stage_channels = list(stage_channels)
        self.stages = torch.nn.ModuleList()
        in_channels = input_channels
        for index, out_channels in enumerate(self.stage_channels):
            layers: List[torch.nn.Module] = [torch.nn.MaxPool2d(2, ceil_mode=True)] if index else []
            for _ in range(convs_per_stage):
                layers += [
                    torch.nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False),
                    torch.nn.BatchNorm2d(out_channels),
                    torch.nn.ReLU(inplace=True),
                ]
                in_channels = out_channels
            self.stages.append(torch.nn.Sequential(*layers))
        self._memory_format = torch.channels_last if channels_last else torch.contiguous_format
        if channels_last:
            self.stages.to(memory_format=torch.channels_last)

    def get_output_channels(self) -> int:
        return self.stage_channels[-1]

    def get_output_stride(self) -> int:
        return 2 ** (len(self.stage_channels) - 1)

    def get_feature_info(self) -> List[FeatureInfo]:
        return [
            FeatureInfo(f"stage{index + 1}", channels, 2 ** index)
            for index, channels in enumerate(self.stage_channels)
        ]

    def forward_features(self, images: torch.Tensor) -> Dict[str, torch.Tensor]:
        images = images.contiguous(memory_format=self._memory_format)
        features = {}
        for info, stage in zip(self.get_feature_info(), self.stages):
            # (batch_size, info.channels, ceil(height / info.stride), ceil(width / info.stride))
            images = stage(images)
            features[info.name] = images
        return features

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        images = images.contiguous(memory_format=self._memory_format)
        for stage in self.stages:
            images = stage(images)
        # (batch_size, stage_channels[-1], ceil(height / stride), ceil(width / stride))
        return images
