from typing import Any, Dict, List, Optional

import torch
from allennlp.common.checks import ConfigurationError
from allennlp.data import Vocabulary
from allennlp.models.model import Model
from allennlp.nn import InitializerApplicator, RegularizerApplicator
from allennlp.nn.parallel import DdpAccelerator

from allencv.models.basic_classifier import check_encoders_fit, image_logits
from allencv.models.vision_model import VisionModel
from allencv.modules.im2im_encoders import Im2ImEncoder
from allencv.modules.im2vec_encoders import Im2VecEncoder
from allencv.modules.test_time_augmentation import TestTimeAugmentation
from allencv.training.metrics import MultiLabelMetrics


@Model.register("multi_label_image_classifier")
class MultiLabelImageClassifier(VisionModel):
    """
    Predicts every label that applies to an image (any number, none included): the encoders of
    `BasicImageClassifier`, then one independent sigmoid per label, trained with binary
    cross-entropy on the logits. Reads the `labels` `MultiLabelField` of `image_manifest` with
    `multi_label: true`.

    Its metrics are `mAP` (mean average precision over labels) and `micro_f1` and `macro_f1` of the
    labels whose probability is at least `threshold`.

    Registered as a `Model` with name "multi_label_image_classifier".

    # Parameters

    vocab : `Vocabulary`
    im2vec_encoder : `Im2VecEncoder`
    im2im_encoder : `Im2ImEncoder`, optional
    dropout : `float`, optional
        Dropout on the vector before the output layer.
    threshold : `float`, optional (default = `0.5`)
        A label is predicted (and counted by the F1 metrics) when its probability is at least this.
    pos_weight : `Dict[str, float]`, optional
        Weight of the positive examples of a label in the loss, by label name (1 for labels not
        named): above 1 for rare labels, e.g. negatives / positives in the training data.
    label_namespace : `str`, optional (default = `"labels"`)
    initializer : `InitializerApplicator`, optional
    test_time_augmentation : `TestTimeAugmentation`, optional
        In evaluation mode, average the probabilities over flipped and cropped views.
    regularizer : `RegularizerApplicator`, optional
        Adds a penalty on the parameters to the loss (see `Model`).
    """

    default_predictor = "multi_label_image_classifier"

    def __init__(
        self,
        vocab: Vocabulary,
        im2vec_encoder: Im2VecEncoder,
        im2im_encoder: Optional[Im2ImEncoder] = None,
        dropout: Optional[float] = None,
        threshold: float = 0.5,
        pos_weight: Optional[Dict[str, float]] = None,
        label_namespace: str = "labels",
        initializer: Optional[InitializerApplicator] = None,
        test_time_augmentation: Optional[TestTimeAugmentation] = None,
        regularizer: Optional[RegularizerApplicator] = None,
        serialization_dir: Optional[str] = None,
        ddp_accelerator: Optional[DdpAccelerator] = None,
    ) -> None:
        super().__init__(vocab, regularizer, serialization_dir, ddp_accelerator)
        if im2im_encoder is not None:
            check_encoders_fit(im2im_encoder, im2vec_encoder)
        if not 0.0 < threshold < 1.0:
            raise ConfigurationError(f"model.threshold must be in (0, 1), got {threshold}.")
        self._im2im_encoder = im2im_encoder
        self._im2vec_encoder = im2vec_encoder
        self._dropout = torch.nn.Dropout(dropout) if dropout else None
        self._label_namespace = label_namespace
        self._num_labels = vocab.get_vocab_size(namespace=label_namespace)
        if self._num_labels < 1:
            raise ConfigurationError(
                f"The vocabulary has no labels in namespace {label_namespace!r}; check the "
                "manifest's label column and that the reader has multi_label: true."
            )
        self._classification_layer = torch.nn.Linear(im2vec_encoder.get_output_dim(), self._num_labels)
        self._threshold = threshold
        self._loss = torch.nn.BCEWithLogitsLoss(pos_weight=self._pos_weight_tensor(pos_weight or {}))
        self._metrics = MultiLabelMetrics(self._num_labels, threshold)
        self._test_time_augmentation = test_time_augmentation
        if initializer is not None:
            initializer(self)

    def _pos_weight_tensor(self, pos_weight: Dict[str, float]) -> Optional[torch.Tensor]:
        if not pos_weight:
            return None
        names = self.label_names()
        unknown = sorted(set(pos_weight) - set(names))
        if unknown:
            raise ConfigurationError(
                f"model.pos_weight names labels that are not in the vocabulary: {', '.join(unknown)}. "
                f"The labels are: {', '.join(names)}."
            )
        return torch.tensor([float(pos_weight.get(name, 1.0)) for name in names])

    def forward(  # type: ignore
        self,
        image: torch.Tensor,
        labels: Optional[torch.LongTensor] = None,
        metadata: Optional[List[Dict[str, Any]]] = None,
    ) -> Dict[str, torch.Tensor]:
        """
        # Parameters

        image : `torch.Tensor`
            `(batch_size, channels, height, width)`, from an `ImageField`.
        labels : `torch.LongTensor`, optional
            `(batch_size, num_labels)` 0/1 targets, from a `MultiLabelField`.
        metadata : `List[Dict[str, Any]]`, optional
            Per-image metadata (e.g. `image_path`), passed through to the output.

        # Returns

        An output dictionary with `logits` and `probs` (independent sigmoids), both
        `(batch_size, num_labels)`, `loss` when `labels` is given, and `image_path` when the
        metadata holds it.
        """
        if self._test_time_augmentation is not None and not self.training:
            # (batch_size, num_labels): the logits of the probabilities averaged over the views.
            probs = self._test_time_augmentation.average(lambda view: torch.sigmoid(self.logits(view)), image)
            logits = torch.logit(probs, eps=1e-6)
        else:
            logits = self.logits(image)
        output_dict: Dict[str, Any] = {"logits": logits, "probs": torch.sigmoid(logits)}
        paths = [item.get("image_path") for item in metadata or []]
        if any(path is not None for path in paths):
            output_dict["image_path"] = paths
        if labels is not None:
            output_dict["loss"] = self._loss(logits, labels.float())
            self._metrics(output_dict["probs"], labels)
        return output_dict

    def logits(self, image: torch.Tensor) -> torch.Tensor:
        """
        `(batch_size, num_labels)` logits of a `(batch_size, channels, height, width)` batch through
        the encoders and the output layer alone (no test-time or batch augmentation): what Grad-CAM
        differentiates (`allencv.interpret.GradCam`).
        """
        return image_logits(
            image, self._im2im_encoder, self._im2vec_encoder, self._dropout, self._classification_layer
        )

    def make_output_human_readable(self, output_dict: Dict[str, Any]) -> Dict[str, Any]:
        """
        Adds `labels`, the names of the labels whose probability is at least the threshold, most
        probable first, `label_scores`, their probabilities by name, and `label_probs`, every
        label's probability by name, for every image in the batch.
        """
        names = self.label_names()
        output_dict["label_probs"] = [dict(zip(names, row)) for row in output_dict["probs"].tolist()]
        output_dict["label_scores"] = [
            dict(sorted(((name, p) for name, p in probs.items() if p >= self._threshold), key=lambda item: -item[1]))
            for probs in output_dict["label_probs"]
        ]
        output_dict["labels"] = [list(scores) for scores in output_dict["label_scores"]]
        return output_dict

    def get_metrics(self, reset: bool = False) -> Dict[str, float]:
        return self._metrics.get_metric(reset)

    @property
    def im2im_encoder(self) -> Optional[Im2ImEncoder]:
        """The encoder whose feature map the vector is pooled from, if the model has one."""
        return self._im2im_encoder

    def label_names(self) -> List[str]:
        """The label names, in the order of the model's outputs."""
        labels = self.vocab.get_index_to_token_vocabulary(self._label_namespace)
        return [labels[index] for index in range(self._num_labels)]
