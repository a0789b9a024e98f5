from typing import Dict, List, Optional

import torch
from allennlp.common import Lazy
from allennlp.data import Vocabulary
from allennlp.models.model import Model
from allennlp.nn import InitializerApplicator, RegularizerApplicator
from allennlp.nn.parallel import DdpAccelerator

from allencv.data.fields.mask_field import DEFAULT_IGNORE_INDEX
from allencv.models.segmentation_model import SegmentationModel, upsample_to
from allencv.modules.im2im_encoders import Im2ImEncoder
from allencv.modules.segmentation_decoders import SegmentationDecoder


@Model.register("semantic_segmentation")
class SemanticSegmentation(SegmentationModel):
    """
    Labels every pixel: an `Im2ImEncoder` makes feature maps at several strides
    (`forward_features`), a `SegmentationDecoder` (an FPN by default) merges them into one map, a
    1x1 convolution scores each class, and the scores are upsampled bilinearly to the input size.
    The loss skips the ignore index, and the metrics are mean IoU, pixel accuracy and per-class
    IoU (see `SegmentationModel`).

    Registered as a `Model` with name "semantic_segmentation".

    # Parameters

    vocab : `Vocabulary`
        Its `label_namespace` holds the class names, in index order.
    encoder : `Im2ImEncoder`
        Any encoder with multi-scale features, e.g. `pretrained_resnet`.
    decoder : `Lazy[SegmentationDecoder]`, optional (default = `{"type": "fpn"}`)
        Built from the encoder's `get_feature_info()`.
    dropout : `float`, optional
        Dropout on the decoded features before the classifier.
    initializer : `InitializerApplicator`, optional
    label_namespace, ignore_index, class_weights, regularizer
        See `SegmentationModel`.
    """

    def __init__(
        self,
        vocab: Vocabulary,
        encoder: Im2ImEncoder,
        decoder: Lazy[SegmentationDecoder] = Lazy(SegmentationDecoder.by_name("fpn")),
        dropout: Optional[float] = None,
        initializer: Optional[InitializerApplicator] = None,
        label_namespace: str = "labels",
        ignore_index: int = DEFAULT_IGNORE_INDEX,
        class_weights: Optional[List[float]] = None,
        regularizer: Optional[RegularizerApplicator] = None,
        serialization_dir: Optional[str] = None,
        ddp_accelerator: Optional[DdpAccelerator] = None,
    ) -> None:
        super().__init__(
            vocab, label_namespace, ignore_index, class_weights, regularizer, serialization_dir, ddp_accelerator
        )
        self._encoder = encoder
        self._decoder = decoder.construct(feature_info=encoder.get_feature_info())
        self._dropout = torch.nn.Dropout2d(dropout) if dropout else None
        self._classifier = torch.nn.Conv2d(self._decoder.get_output_channels(), self.num_classes, kernel_size=1)
        if initializer is not None:
            initializer(self)

    def compute_logits(self, image: torch.Tensor) -> Dict[str, torch.Tensor]:
        # stage name -> (batch_size, channels, height / stride, width / stride)
        features = self._encoder.forward_features(image)
        # (batch_size, decoder_channels, height / decoder_stride, width / decoder_stride)
        decoded = self._decoder(features)
        if self._dropout is not None:
            decoded = self._dropout(decoded)
        # (batch_size, num_classes, height, width)
        logits = upsample_to(self._classifier(decoded), image.shape[-2:])
        return {"logits": logits}
