from typing import Dict, Optional

import torch
import torchvision
from allennlp.common.checks import ConfigurationError
from allennlp.data import Vocabulary
from allennlp.models.model import Model
from allennlp.nn import InitializerApplicator

from allencv.models.segmentation_model import SegmentationModel
from allencv.modules.pretrained import build_torchvision_model, resolve_weights

SEGMENTATION_MODELS = tuple(torchvision.models.list_models(module=torchvision.models.segmentation))


@Model.register("torchvision_segmentation")
class TorchvisionSegmentation(SegmentationModel):
    """
    One of torchvision's semantic segmentation models, by name: `fcn_resnet50`,
    `fcn_resnet101`, `deeplabv3_resnet50`, `deeplabv3_resnet101`, `deeplabv3_mobilenet_v3_large`
    or `lraspp_mobilenet_v3_large`, trained and evaluated like `semantic_segmentation` (the loss
    skips the ignore index; mean IoU, pixel accuracy and per-class IoU).

    With `weights` (torchvision's COCO subset with the 20 VOC categories) the whole network is
    pretrained; if the vocabulary has other classes than those 21, the final 1x1 classifiers are
    replaced by new ones for the vocabulary's classes, and the rest is fine-tuned. Without
    `weights`, `weights_backbone` (ImageNet) initialises the backbone only. Both come through
    torchvision's weights API and its cache (`$TORCH_HOME/hub/checkpoints`).

    Registered as a `Model` with name "torchvision_segmentation".

    # Parameters

    vocab : `Vocabulary`
        Its `label_namespace` holds the class names, in index order.
    model_name : `str`
    weights : `str`, optional (default = `"DEFAULT"`)
        Segmentation weights (`"DEFAULT"`, `"COCO_WITH_VOC_LABELS_V1"`), or null.
    weights_backbone : `str`, optional (default = `"DEFAULT"`)
        Backbone weights, used only when `weights` is null; null for random initialisation.
    aux_loss : `bool`, optional (default = `True`)
        Train FCN/DeepLabV3's auxiliary classifier too (its loss is weighted 0.5); LR-ASPP has none.
    initializer : `InitializerApplicator`, optional
    **kwargs
        `label_namespace`, `ignore_index` and `class_weights` (see `SegmentationModel`).
    """

    def __init__(
        self,
        vocab: Vocabulary,
        model_name: str,
        weights: Optional[str] = "DEFAULT",
        weights_backbone: Optional[str] = "DEFAULT",
        aux_loss: bool = True,
        initializer: Optional[InitializerApplicator] = None,
        **kwargs,
    ) -> None:
        super().__init__(vocab, **kwargs)
        if model_name not in SEGMENTATION_MODELS:
            raise ConfigurationError(
                f"model.model_name {model_name!r} is not a torchvision segmentation model; choose one "
                f"of {', '.join(SEGMENTATION_MODELS)}."
            )
        has_aux = not model_name.startswith("lraspp")
        if weights is None:
            options = {"num_classes": self.num_classes, "weights_backbone": weights_backbone}
            if has_aux:
                options["aux_loss"] = aux_loss
            self.network = build_torchvision_model(model_name, **options)
        else:
            self.network = build_torchvision_model(model_name, weights=weights)
            pretrained_classes = len(resolve_weights(model_name, weights).meta["categories"])
            if pretrained_classes != self.num_classes:
                self._replace_classifiers(pretrained_classes)
            if has_aux and not aux_loss:
                self.network.aux_classifier = None
        if initializer is not None:
            initializer(self)

    def _replace_classifiers(self, pretrained_classes: int) -> None:
        aux_classifier = getattr(self.network, "aux_classifier", None)
        for head in [self.network.classifier] + ([aux_classifier] if aux_classifier is not None else []):
            for name, module in list(head.named_children()):
                if isinstance(module, torch.nn.Conv2d) and module.out_channels == pretrained_classes:
                    setattr(head, name, torch.nn.Conv2d(module.in_channels, self.num_classes, kernel_size=1))

    def compute_logits(self, image: torch.Tensor) -> Dict[str, torch.Tensor]:
        # "out" (and "aux"): (batch_size, num_classes, height, width), already at the input size
        outputs = self.network(image)
        logits = {"logits": outputs["out"]}
        if "aux" in outputs:
            logits["aux"] = outputs["aux"]
        return logits
