from typing import Dict, List, Optional

import torch
import torchvision
from allennlp.common.checks import ConfigurationError
from allennlp.data import Vocabulary
from allennlp.models.model import Model
from allennlp.nn import InitializerApplicator, RegularizerApplicator
from allennlp.nn.parallel import DdpAccelerator

from allencv.data.fields.mask_field import DEFAULT_IGNORE_INDEX
from allencv.models.segmentation_model import SegmentationModel
from allencv.modules.pretrained import build_torchvision_model, pretrained_state_dict

SEGMENTATION_MODELS = tuple(torchvision.models.list_models(module=torchvision.models.segmentation))


@Model.register("torchvision_segmentation")
class TorchvisionSegmentation(SegmentationModel):
    """
    One of torchvision's semantic segmentation models, by name: `fcn_resnet50`,
    `fcn_resnet101`, `deeplabv3_resnet50`, `deeplabv3_resnet101`, `deeplabv3_mobilenet_v3_large`
    or `lraspp_mobilenet_v3_large`, trained and evaluated like `semantic_segmentation` (the loss
    skips the ignore index; mean IoU, pixel accuracy and per-class IoU).

    The network is built for the vocabulary's classes, then initialised from pretrained weights:
    `weights_path`, a local checkpoint of the model (e.g. the file torchvision downloads, or your
    own fine-tuned weights), or else `weights`, torchvision's COCO subset with the 20 VOC
    categories, fetched through torchvision's weights API and its cache
    (`$TORCH_HOME/hub/checkpoints`). Everything is loaded except the classifiers' last layers when
    they score another number of classes than the vocabulary's (those start anew), and the
    auxiliary classifier when `aux_loss` is false. Without either, `weights_backbone` (ImageNet,
    through the same cache) initialises the backbone only. None of them is read when a trained
    archive is loaded: its own weights replace them.

    Registered as a `Model` with name "torchvision_segmentation".

    # Parameters

    vocab : `Vocabulary`
        Its `label_namespace` holds the class names, in index order.
    model_name : `str`
    weights : `str`, optional (default = `"DEFAULT"`)
        Segmentation weights (`"DEFAULT"`, `"COCO_WITH_VOC_LABELS_V1"`), or null.
    weights_path : `str`, optional
        A local checkpoint of `model_name` (a state dict, or a dict holding one under
        `state_dict` or `model`), loaded instead of `weights`.
    weights_backbone : `str`, optional (default = `"DEFAULT"`)
        Backbone weights, used only when `weights` and `weights_path` are null; null for random
        initialisation.
    aux_loss : `bool`, optional (default = `True`)
        Train FCN/DeepLabV3's auxiliary classifier too (its loss is weighted 0.5); LR-ASPP has none.
    initializer : `InitializerApplicator`, optional
    label_namespace, ignore_index, class_weights, regularizer
        See `SegmentationModel`.
    """

    def __init__(
        self,
        vocab: Vocabulary,
        model_name: str,
        weights: Optional[str] = "DEFAULT",
        weights_path: Optional[str] = None,
        weights_backbone: Optional[str] = "DEFAULT",
        aux_loss: bool = True,
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
        if model_name not in SEGMENTATION_MODELS:
            raise ConfigurationError(
                f"model.model_name {model_name!r} is not a torchvision segmentation model; choose one "
                f"of {', '.join(SEGMENTATION_MODELS)}."
            )
        pretrained = weights is not None or weights_path is not None
        options = {"num_classes": self.num_classes, "weights_backbone": None if pretrained else weights_backbone}
        if not model_name.startswith("lraspp"):
            options["aux_loss"] = aux_loss
        self.network = build_torchvision_model(model_name, **options)
        state_dict = pretrained_state_dict(model_name, weights, weights_path)
        if state_dict is not None:
            source = f"model.weights_path {weights_path}" if weights_path is not None else f"{model_name} {weights}"
            self._load_pretrained(state_dict, source, model_name)
        if initializer is not None:
            initializer(self)

    def _load_pretrained(self, state_dict: Dict[str, torch.Tensor], source: str, model_name: str) -> None:
        own = self.network.state_dict()
        heads = ("classifier.", "aux_classifier.")
        # The classifiers' last layers score the pretrained classes (VOC's 21 for torchvision's).
        new_classes = {
            key for key, value in state_dict.items()
            if key.startswith(heads) and key in own and own[key].shape != value.shape
            and own[key].shape[0] == self.num_classes
        }
        unused_aux = {key for key in state_dict if key.startswith("aux_classifier.") and key not in own}
        loaded = {key: value for key, value in state_dict.items() if key not in new_classes | unused_aux}
        mismatched = [key for key, value in loaded.items() if key in own and own[key].shape != value.shape]
        unexpected = [key for key in loaded if key not in own]
        missing = [key for key in own if key not in loaded and key not in new_classes]
        if mismatched or unexpected or missing:
            problems = [
                f"{description} {', '.join(keys[:3])}{' ...' if len(keys) > 3 else ''}"
                for description, keys in (
                    ("other shapes for", mismatched), ("unknown parameters", unexpected), ("missing", missing)
                )
                if keys
            ]
            raise ConfigurationError(
                f"{source} does not hold weights of {model_name} ({'; '.join(problems)}); give a "
                "checkpoint of the model named by model.model_name."
            )
        self.network.load_state_dict(loaded, strict=False)

    def compute_logits(self, image: torch.Tensor) -> Dict[str, torch.Tensor]:
        # "out" (and "aux"): (batch_size, num_classes, height, width), already at the input size
        outputs = self.network(image)
        logits = {"logits": outputs["out"]}
        if "aux" in outputs:
            logits["aux"] = outputs["aux"]
        return logits
