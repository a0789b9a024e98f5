from typing import Optional

from allennlp.common.checks import ConfigurationError
from allennlp.data.fields import LabelField
from allennlp.data.vocabulary import Vocabulary


class TrainingLabelField(LabelField):
    """
    A `LabelField` for a label that must be one the model was trained on. Indexing it with a
    vocabulary that lacks the label (a validation or evaluation folder holding a class the
    training folder has no images of) raises a `ConfigurationError` naming the label, the image and
    the known labels, instead of allennlp's bare `KeyError`.

    # Parameters

    label : `str`
    label_namespace : `str`, optional (default = `"labels"`)
    source : `str`, optional
        Where the label comes from (the image path), for the error message.
    """

    __slots__ = ["source"]

    def __init__(self, label: str, label_namespace: str = "labels", source: Optional[str] = None) -> None:
        super().__init__(label, label_namespace=label_namespace)
        self.source = source

    def index(self, vocab: Vocabulary) -> None:
        known = vocab.get_token_to_index_vocabulary(self._label_namespace)
        if self.label not in known:
            raise ConfigurationError(
                f"{self.source or 'An instance'} has label {self.label!r}, which the training data "
                f"does not have (its labels: {', '.join(sorted(known))}). A validation or "
                "evaluation folder may only hold classes the training folder has images of: add "
                f"training images of {self.label!r}, or remove its folder from this data."
            )
        super().index(vocab)
