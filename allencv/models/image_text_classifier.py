from typing import Any, Dict, List, Optional

import torch
from allennlp.common import Lazy
from allennlp.common.checks import ConfigurationError
from allennlp.data import TextFieldTensors, Vocabulary
from allennlp.models.model import Model
from allennlp.modules import FeedForward, Seq2VecEncoder, TextFieldEmbedder
from allennlp.nn import InitializerApplicator, RegularizerApplicator, util
from allennlp.nn.parallel import DdpAccelerator

from allencv.models.basic_classifier import BasicImageClassifier
from allencv.models.classification_loss import ClassWeights
from allencv.modules.fusions import ConcatenateFusion, Fusion
from allencv.modules.im2im_encoders import Im2ImEncoder
from allencv.modules.im2vec_encoders import Im2VecEncoder


@Model.register("image_text_classifier")
class ImageTextClassifier(BasicImageClassifier):
    """
    Classifies an image together with one or more texts (a product photo and its title, a
    picture and its caption). The image goes through an optional `Im2ImEncoder` and an
    `Im2VecEncoder`, each text field through its `TextFieldEmbedder` and `Seq2VecEncoder`; a
    `Fusion` combines the vectors, an optional `FeedForward` follows, and a linear layer predicts
    the label. Reads the `image_text_manifest` reader's instances: the keys of
    `text_field_embedders` and `seq2vec_encoders` are its `text_columns`.

    Loss, class weights, label smoothing, metrics and outputs are those of
    `BasicImageClassifier`. A text that is empty in every row of a batch gets a zero vector.

    Registered as a `Model` with name "image_text_classifier".

    # Parameters

    vocab : `Vocabulary`
    im2vec_encoder : `Im2VecEncoder`
        Makes the image's vector.
    text_field_embedders : `Dict[str, TextFieldEmbedder]`
        One embedder per text field, by field name (e.g. `basic` with an `embedding`, or a
        `pretrained_transformer`).
    seq2vec_encoders : `Dict[str, Seq2VecEncoder]`
        One encoder per text field, by the same names (e.g. `boe`, `lstm`, `cls_pooler`).
    im2im_encoder : `Im2ImEncoder`, optional
        Applied to the image first, e.g. a (pretrained) ResNet.
    fusion : `Fusion`, optional (default = `concatenate`)
        Combines the image's vector and the texts' vectors, in that order (`concatenate`,
        `gated`, `bilinear`); the model gives it their sizes.
    feedforward : `FeedForward`, optional
        Applied to the fused vector before the output layer; its `input_dim` must be the
        fusion's output size.
    dropout : `float`, optional
        Dropout on the vector before the output layer.
    use_image : `bool`, optional (default = `True`)
    use_text : `bool`, optional (default = `True`)
        With `false`, the modality is not looked at: its encoders are not run and its vectors are
        zeros, so the model keeps the same parameters. For baselines (image only, text only)
        measured with the same config.
    freeze_image : `bool`, optional (default = `False`)
    freeze_text : `bool`, optional (default = `False`)
        Keeps the image encoders (or the text embedders and encoders) as they are: no gradient,
        and in evaluation mode (no dropout, fixed BatchNorm statistics) during training too.
    num_labels, label_namespace, initializer, label_smoothing, class_weights, regularizer
        As for `BasicImageClassifier`.
    """

    default_predictor = "image_text_classifier"

    def __init__(
        self,
        vocab: Vocabulary,
        im2vec_encoder: Im2VecEncoder,
        text_field_embedders: Dict[str, TextFieldEmbedder],
        seq2vec_encoders: Dict[str, Seq2VecEncoder],
        im2im_encoder: Optional[Im2ImEncoder] = None,
        fusion: Lazy[Fusion] = Lazy(ConcatenateFusion),
        feedforward: Optional[FeedForward] = None,
        dropout: Optional[float] = None,
        use_image: bool = True,
        use_text: bool = True,
        freeze_image: bool = False,
        freeze_text: bool = False,
        num_labels: Optional[int] = None,
        label_namespace: str = "labels",
        initializer: Optional[InitializerApplicator] = None,
        label_smoothing: float = 0.0,
        class_weights: Optional[ClassWeights] = None,
        regularizer: Optional[RegularizerApplicator] = None,
        serialization_dir: Optional[str] = None,
        ddp_accelerator: Optional[DdpAccelerator] = None,
    ) -> None:
        super().__init__(
            vocab,
            im2vec_encoder,
            im2im_encoder,
            dropout=dropout,
            num_labels=num_labels,
            label_namespace=label_namespace,
            label_smoothing=label_smoothing,
            class_weights=class_weights,
            regularizer=regularizer,
            serialization_dir=serialization_dir,
            ddp_accelerator=ddp_accelerator,
        )
        check_text_encoders(text_field_embedders, seq2vec_encoders)
        if not (use_image or use_text):
            raise ConfigurationError("model.use_image and model.use_text are both false; the model would see nothing.")
        self._text_fields = list(seq2vec_encoders)
        self._text_field_embedders = torch.nn.ModuleDict(text_field_embedders)
        self._seq2vec_encoders = torch.nn.ModuleDict(seq2vec_encoders)
        input_dims = [im2vec_encoder.get_output_dim()] + [
            seq2vec_encoders[name].get_output_dim() for name in self._text_fields
        ]
        self._fusion = fusion.construct(input_dims=input_dims)
        self._feedforward = feedforward
        head_dim = self._fusion.get_output_dim()
        if feedforward is not None:
            if feedforward.get_input_dim() != head_dim:
                raise ConfigurationError(
                    f"model.feedforward.input_dim is {feedforward.get_input_dim()} but the fusion outputs "
                    f"{head_dim} features (image {input_dims[0]}, texts {input_dims[1:]}); set it to {head_dim}."
                )
            head_dim = feedforward.get_output_dim()
        self._classification_layer = torch.nn.Linear(head_dim, self._num_labels)
        self._use_image = use_image
        self._use_text = use_text
        self._frozen: List[torch.nn.Module] = []
        if freeze_image:
            self._frozen += [module for module in (im2im_encoder, im2vec_encoder) if module is not None]
        if freeze_text:
            self._frozen += [self._text_field_embedders, self._seq2vec_encoders]
        for module in self._frozen:
            module.requires_grad_(False)
        if initializer is not None:
            initializer(self)

    def train(self, mode: bool = True) -> "ImageTextClassifier":
        super().train(mode)
        for module in self._frozen:
            module.eval()
        return self

    def forward(  # type: ignore
        self,
        image: torch.Tensor,
        label: Optional[torch.LongTensor] = None,
        metadata: Optional[List[Dict[str, Any]]] = None,
        **texts: TextFieldTensors,
    ) -> Dict[str, torch.Tensor]:
        """
        # Parameters

        image : `torch.Tensor`
            `(batch_size, channels, height, width)`, from an `ImageField`.
        label : `torch.LongTensor`, optional
            `(batch_size,)` gold label indices, from a `LabelField`.
        metadata : `List[Dict[str, Any]]`, optional
            Per-image metadata (e.g. `image_path`), passed through to the output.
        **texts : `TextFieldTensors`
            One `TextField`'s tensors per text field, by name.

        # Returns

        As `BasicImageClassifier`: `logits` and `probs`, both `(batch_size, num_labels)`, `loss`
        when `label` is given, and `image_path` when the metadata holds it.
        """
        missing = [name for name in self._text_fields if name not in texts]
        unknown = sorted(set(texts) - set(self._text_fields))
        if missing or unknown:
            raise ConfigurationError(
                f"The model encodes the text fields {self._text_fields} but the batch has {sorted(texts)}; "
                "make the reader's text_columns and the keys of model.seq2vec_encoders agree."
            )
        # one (batch_size, input_dims[i]) vector per input: the image, then each text
        vectors = [self._image_vector(image)] + [self._text_vector(name, texts[name]) for name in self._text_fields]
        fused = self._fusion(vectors)
        if self._feedforward is not None:
            fused = self._feedforward(fused)
        if self._dropout is not None:
            fused = self._dropout(fused)
        logits = self._classification_layer(fused)
        targets = None if label is None else label.long().view(-1)
        return self._classification_output(logits, label, targets, metadata)

    def _image_vector(self, image: torch.Tensor) -> torch.Tensor:
        if not self._use_image:
            return image.new_zeros(image.size(0), self._im2vec_encoder.get_output_dim())
        features = image
        if self._im2im_encoder is not None:
            # (batch_size, channels, feature_height, feature_width)
            features = self._im2im_encoder(features)
        # (batch_size, image_dim)
        return self._im2vec_encoder(features)

    def _text_vector(self, name: str, text: TextFieldTensors) -> torch.Tensor:
        encoder = self._seq2vec_encoders[name]
        # (batch_size, num_tokens)
        mask = util.get_text_field_mask(text)
        if not self._use_text or mask.size(1) == 0 or not mask.any():
            return mask.new_zeros(mask.size(0), encoder.get_output_dim(), dtype=torch.float)
        # (batch_size, num_tokens, embedding_dim)
        embedded = self._text_field_embedders[name](text)
        # (batch_size, text_dim)
        return encoder(embedded, mask=mask)


def check_text_encoders(embedders: Dict[str, TextFieldEmbedder], encoders: Dict[str, Seq2VecEncoder]) -> None:
    """Fails at construction when the text fields' embedders and encoders do not pair up."""
    if not encoders:
        raise ConfigurationError("model.seq2vec_encoders is empty; give one per text field, by field name.")
    if set(embedders) != set(encoders):
        raise ConfigurationError(
            f"model.text_field_embedders has fields {sorted(embedders)} but model.seq2vec_encoders has "
            f"{sorted(encoders)}; give both for every text field."
        )
    for name, encoder in encoders.items():
        if embedders[name].get_output_dim() != encoder.get_input_dim():
            raise ConfigurationError(
                f"model.text_field_embedders.{name} outputs {embedders[name].get_output_dim()} features but "
                f"model.seq2vec_encoders.{name} expects {encoder.get_input_dim()}; make them agree."
            )
