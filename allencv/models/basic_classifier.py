from typing import Any, Dict, List, Optional

import torch
from allennlp.common.checks import ConfigurationError
from allennlp.data import Vocabulary
from allennlp.models.model import Model
from allennlp.nn import InitializerApplicator, RegularizerApplicator
from allennlp.nn.parallel import DdpAccelerator
from allennlp.training.metrics import CategoricalAccuracy

from allencv.models.classification_loss import ClassificationLoss, ClassWeights
from allencv.models.vision_model import VisionModel
from allencv.modules.batch_augmentations import BatchAugmentation
from allencv.modules.im2im_encoders import Im2ImEncoder
from allencv.modules.im2vec_encoders import Im2VecEncoder
from allencv.modules.test_time_augmentation import TestTimeAugmentation
from allencv.training.metrics import ConfusionMatrix
from allencv.training.metrics.confusion_matrix import scores_by_label


@Model.register("basic_image_classifier")
class BasicImageClassifier(VisionModel):
    """
    Classifies an image: an optional `Im2ImEncoder` turns it into a feature map, an
    `Im2VecEncoder` turns that into a vector, and a linear layer predicts the label.

    Its metrics are `accuracy`, `accuracy_top5` (`top2`..`top4` with 3 to 5 labels), `macro_f1` and
    `weighted_f1` (F1 averaged over the labels seen as gold or predicted, unweighted and weighted
    by support) and, at the end of each epoch and of `allennlp evaluate`, each label's
    `precision_<label>`, `recall_<label>` and `f1_<label>`. All are floats; the confusion matrix
    of the last epoch or evaluation is `get_confusion_matrix()`.

    Registered as a `Model` with name "basic_image_classifier".

    # Parameters

    vocab : `Vocabulary`
    im2vec_encoder : `Im2VecEncoder`
        Makes the vector that the label is predicted from.
    im2im_encoder : `Im2ImEncoder`, optional
        Applied to the image first, e.g. a (pretrained) ResNet.
    dropout : `float`, optional
        Dropout on the vector before the output layer.
    num_labels : `int`, optional
        Number of labels; defaults to the size of `label_namespace` in the vocabulary, and must
        equal it when given.
    label_namespace : `str`, optional (default = `"labels"`)
    initializer : `InitializerApplicator`, optional
        Initialises the parameters (only where its regexes match).
    label_smoothing : `float`, optional (default = `0.0`)
        Label smoothing of the cross-entropy loss (0.1 in torchvision's recipes).
    class_weights : `Union[List[float], Dict[str, float], str]`, optional
        Per-label weights of the loss: a list in vocabulary order, a dict by label name (missing
        labels weigh 1), or `"balanced"`, `n_images / (n_labels * n_images_of_label)` computed from
        the training data by the `balanced_class_weights` trainer callback, which the config must
        then list. The weights are saved with the model.
    batch_augmentation : `BatchAugmentation`, optional
        Mixes the images and labels of each training batch (e.g. `mixup`, `cutmix`); the loss then
        uses the soft targets it makes. Evaluation batches are left alone.
    test_time_augmentation : `TestTimeAugmentation`, optional
        In evaluation mode, average the probabilities over flipped and cropped views.
    regularizer : `RegularizerApplicator`, optional
        Adds a penalty on the parameters to the loss (see `Model`).
    """

    default_predictor = "image_classifier"

    def __init__(
        self,
        vocab: Vocabulary,
        im2vec_encoder: Im2VecEncoder,
        im2im_encoder: Optional[Im2ImEncoder] = None,
        dropout: Optional[float] = None,
        num_labels: Optional[int] = None,
        label_namespace: str = "labels",
        initializer: Optional[InitializerApplicator] = None,
        label_smoothing: float = 0.0,
        class_weights: Optional[ClassWeights] = None,
        batch_augmentation: Optional[BatchAugmentation] = None,
        test_time_augmentation: Optional[TestTimeAugmentation] = None,
        regularizer: Optional[RegularizerApplicator] = None,
        serialization_dir: Optional[str] = None,
        ddp_accelerator: Optional[DdpAccelerator] = None,
    ) -> None:
        # Model's arguments are spelled out (not **kwargs) so that a misspelt config key fails with
        # allennlp's "Extra parameters passed to BasicImageClassifier" naming it.
        super().__init__(vocab, regularizer, serialization_dir, ddp_accelerator)
        self._im2im_encoder = im2im_encoder
        self._im2vec_encoder = im2vec_encoder
        if im2im_encoder is not None:
            check_encoders_fit(im2im_encoder, im2vec_encoder)
        self._dropout = torch.nn.Dropout(dropout) if dropout else None
        self._label_namespace = label_namespace
        vocab_size = vocab.get_vocab_size(namespace=label_namespace)
        if num_labels is not None and num_labels != vocab_size:
            raise ConfigurationError(
                f"model.num_labels is {num_labels} but the vocabulary has {vocab_size} labels in "
                f"namespace {label_namespace!r}; remove num_labels or make them agree."
            )
        self._num_labels = vocab_size
        if self._num_labels < 2:
            raise ConfigurationError(
                f"The vocabulary has {self._num_labels} label(s) in namespace {label_namespace!r}; "
                "a classifier needs at least 2. Check the training data's label folders."
            )
        self._classification_layer = torch.nn.Linear(im2vec_encoder.get_output_dim(), self._num_labels)
        labels = vocab.get_index_to_token_vocabulary(label_namespace)
        self._loss = ClassificationLoss(
            [labels[index] for index in range(self._num_labels)], label_smoothing, class_weights
        )
        self._batch_augmentation = batch_augmentation
        self._top_k = min(5, self._num_labels - 1) if self._num_labels > 2 else None
        self._top_k_accuracy = CategoricalAccuracy(top_k=self._top_k) if self._top_k else None
        # Accuracy, precision, recall and F1 all come from the confusion matrix: one count per batch.
        self._confusion_matrix = ConfusionMatrix(self._num_labels)
        self._last_confusion_matrix: Optional[Dict[str, Any]] = None
        self._test_time_augmentation = test_time_augmentation
        if initializer is not None:
            initializer(self)

    def forward(  # type: ignore
        self,
        image: torch.Tensor,
        label: Optional[torch.LongTensor] = None,
        metadata: Optional[List[Dict[str, Any]]] = None,
    ) -> Dict[str, torch.Tensor]:
        """
        # Parameters

        image : `torch.Tensor`
            `(batch_size, channels, height, width)`, from an `ImageField`.
        label : `torch.LongTensor`, optional
            `(batch_size,)` gold label indices, from a `LabelField`.
        metadata : `List[Dict[str, Any]]`, optional
            Per-image metadata (e.g. `image_path`), passed through to the output.

        # Returns

        An output dictionary with `logits` and `probs`, both `(batch_size, num_labels)`, `loss`
        when `label` is given, and `image_path` when the metadata holds it.
        """
        targets = None if label is None else label.long().view(-1)
        if self.training and targets is not None and self._batch_augmentation is not None:
            # (batch_size, channels, height, width) and (batch_size, num_labels) soft targets
            image, targets = self._batch_augmentation(image, targets, self._num_labels)
        if self._test_time_augmentation is not None and not self.training:
            # (batch_size, num_labels): log of the probabilities averaged over the views.
            probs = self._test_time_augmentation.average(
                lambda view: torch.softmax(self.logits(view), dim=-1), image
            )
            logits = probs.clamp_min(torch.finfo(probs.dtype).tiny).log()
        else:
            logits = self.logits(image)
        return self._classification_output(logits, label, targets, metadata)

    def _classification_output(
        self,
        logits: torch.Tensor,
        label: Optional[torch.LongTensor],
        targets: Optional[torch.Tensor],
        metadata: Optional[List[Dict[str, Any]]],
    ) -> Dict[str, Any]:
        """
        The output dictionary of `(batch_size, num_labels)` logits; with a `label`, the loss
        against `targets` (the label indices or soft targets) and the metrics' update.
        """
        output_dict: Dict[str, Any] = {"logits": logits, "probs": torch.softmax(logits, dim=-1)}
        paths = [item.get("image_path") for item in metadata or []]
        if any(path is not None for path in paths):
            output_dict["image_path"] = paths
        if label is not None:
            output_dict["loss"] = self._loss(logits, targets)
            if self._top_k_accuracy is not None:
                self._top_k_accuracy(logits, label)
            self._confusion_matrix(logits, label)
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

    @property
    def classification_loss(self) -> ClassificationLoss:
        return self._loss

    def make_output_human_readable(self, output_dict: Dict[str, Any]) -> Dict[str, Any]:
        """
        Adds `label`, the name of the most probable label, and `label_probs`, each label's
        probability by name, for every image in the batch.
        """
        probs = output_dict["probs"]
        names = self.label_names()
        output_dict["label"] = [names[index] for index in probs.argmax(dim=-1).tolist()]
        output_dict["label_probs"] = [dict(zip(names, row)) for row in probs.tolist()]
        return output_dict

    def get_metrics(self, reset: bool = False) -> Dict[str, float]:
        # allennlp's trainer calls this after every batch (reset=False) for the progress bar: the
        # scores are a few tensor operations on the (num_labels, num_labels) counts.
        counts = self._confusion_matrix.get_counts(reset)
        scores = scores_by_label(counts)
        support, f1 = scores["support"], scores["fscore"]
        total = float(support.sum())
        metrics: Dict[str, float] = {"accuracy": float(counts.diagonal().sum()) / total if total else 0.0}
        if self._top_k_accuracy is not None:
            metrics[f"accuracy_top{self._top_k}"] = self._top_k_accuracy.get_metric(reset)
        # Over the labels seen so far, as gold or predicted (scikit-learn's convention).
        metrics["macro_f1"] = float(f1[scores["seen"]].sum()) / max(int(scores["seen"].sum()), 1)
        metrics["weighted_f1"] = float((support * f1).sum()) / max(total, 1.0)
        if reset:
            # Only at the end of an epoch or evaluation, so that the progress bar stays short.
            names = self.label_names()
            for name, precision, recall, f in zip(
                names, scores["precision"].tolist(), scores["recall"].tolist(), f1.tolist()
            ):
                metrics[f"precision_{name}"] = precision
                metrics[f"recall_{name}"] = recall
                metrics[f"f1_{name}"] = f
            self._last_confusion_matrix = {"labels": names, "counts": counts.tolist()}
        return metrics

    def get_confusion_matrix(self) -> Optional[Dict[str, Any]]:
        """
        The confusion matrix of the last finished epoch or evaluation (the counts up to the last
        `get_metrics(reset=True)`): `labels` and `counts`, rows gold, columns predicted, or `None`
        before the first. `allennlp evaluate`'s output file and `classification-report` hold it.
        """
        return self._last_confusion_matrix

    @property
    def im2im_encoder(self) -> Optional[Im2ImEncoder]:
        """The encoder whose feature map the vector is pooled from, if the model has one."""
        return self._im2im_encoder

    def label_names(self) -> List[str]:
        """The label names, in the order of the model's outputs."""
        labels = self.vocab.get_index_to_token_vocabulary(self._label_namespace)
        return [labels[index] for index in range(self._num_labels)]


def image_logits(
    image: torch.Tensor,
    im2im_encoder: Optional[Im2ImEncoder],
    im2vec_encoder: Im2VecEncoder,
    dropout: Optional[torch.nn.Dropout],
    classification_layer: torch.nn.Linear,
) -> torch.Tensor:
    """
    `(batch_size, num_labels)` logits of a `(batch_size, channels, height, width)` batch: the
    classifiers' shared path through the encoders, dropout and the output layer.
    """
    features = image
    if im2im_encoder is not None:
        # (batch_size, channels, feature_height, feature_width)
        features = im2im_encoder(features)
    # (batch_size, encoding_dim)
    vectors = im2vec_encoder(features)
    if dropout is not None:
        vectors = dropout(vectors)
    return classification_layer(vectors)


def check_encoders_fit(im2im_encoder: Im2ImEncoder, im2vec_encoder: Im2VecEncoder) -> None:
    """Fails at construction when the encoders' channels (and fixed sizes) cannot match."""
    channels = im2im_encoder.get_output_channels()
    if channels != im2vec_encoder.get_input_channels():
        raise ConfigurationError(
            f"The im2im_encoder outputs {channels} channels but the im2vec_encoder expects "
            f"{im2vec_encoder.get_input_channels()}; set model.im2vec_encoder.input_channels to "
            f"{channels}."
        )
    # Sizes can be checked now when neither depends on the input (e.g. a pooled ResNet feeding
    # `flatten`); otherwise the im2vec_encoder checks them on the first batch.
    expected = im2vec_encoder.get_input_size()
    actual = im2im_encoder.get_fixed_output_size()
    if expected is not None and actual is not None and tuple(expected) != tuple(actual):
        raise ConfigurationError(
            f"The im2im_encoder outputs {channels}x{actual[0]}x{actual[1]} feature maps but the "
            f"im2vec_encoder expects {channels}x{expected[0]}x{expected[1]}; set "
            f"model.im2vec_encoder.input_height and input_width to {actual[0]} and {actual[1]}."
        )
