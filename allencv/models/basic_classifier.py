from typing import Any, Dict, List, Optional

import torch
from allennlp.common.checks import ConfigurationError
from allennlp.data import TensorDict, Vocabulary
from allennlp.models.model import Model
from allennlp.nn import InitializerApplicator
from allennlp.training.metrics import CategoricalAccuracy

from allencv.models.vision_model import VisionModel
from allencv.modules.im2im_encoders import Im2ImEncoder
from allencv.modules.im2vec_encoders import Im2VecEncoder


@Model.register("basic_image_classifier")
class BasicImageClassifier(VisionModel):
    """
    Classifies an image: an optional `Im2ImEncoder` turns it into a feature map, an
    `Im2VecEncoder` turns that into a vector, and a linear layer predicts the label.

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
        **kwargs,
    ) -> None:
        super().__init__(vocab, **kwargs)
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
        self._loss = torch.nn.CrossEntropyLoss()
        self._top_k = min(5, self._num_labels - 1) if self._num_labels > 2 else None
        self._accuracy = CategoricalAccuracy()
        self._top_k_accuracy = CategoricalAccuracy(top_k=self._top_k) if self._top_k else None
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
        features = image
        if self._im2im_encoder is not None:
            # (batch_size, channels, feature_height, feature_width)
            features = self._im2im_encoder(features)
        # (batch_size, encoding_dim)
        vectors = self._im2vec_encoder(features)
        if self._dropout is not None:
            vectors = self._dropout(vectors)
        # (batch_size, num_labels)
        logits = self._classification_layer(vectors)
        output_dict: Dict[str, Any] = {"logits": logits, "probs": torch.softmax(logits, dim=-1)}
        if metadata is not None:
            output_dict["image_path"] = [item.get("image_path") for item in metadata]
        if label is not None:
            output_dict["loss"] = self._loss(logits, label.long().view(-1))
            self._accuracy(logits, label)
            if self._top_k_accuracy is not None:
                self._top_k_accuracy(logits, label)
        return output_dict

    def make_output_human_readable(self, output_dict: Dict[str, Any]) -> Dict[str, Any]:
        """
        Adds `label`, the name of the most probable label, and `label_probs`, each label's
        probability by name, for every image in the batch.
        """
        probs = output_dict["probs"]
        labels = self.vocab.get_index_to_token_vocabulary(self._label_namespace)
        names = [labels[index] for index in range(self._num_labels)]
        output_dict["label"] = [names[index] for index in probs.argmax(dim=-1).tolist()]
        output_dict["label_probs"] = [dict(zip(names, row)) for row in probs.tolist()]
        return output_dict

    def get_metrics(self, reset: bool = False) -> Dict[str, float]:
        metrics = {"accuracy": self._accuracy.get_metric(reset)}
        if self._top_k_accuracy is not None:
            metrics[f"accuracy_top{self._top_k}"] = self._top_k_accuracy.get_metric(reset)
        return metrics


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
