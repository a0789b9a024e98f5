from typing import Iterable, List, Optional

from allennlp.common.util import namespace_match
from allennlp.data.instance import Instance
from allennlp.data.vocabulary import Vocabulary


@Vocabulary.register("sorted_labels", constructor="from_instances")
class SortedLabelsVocabulary(Vocabulary):
    """
    allennlp's "from_instances" vocabulary, except that the label namespaces are in sorted order
    (torchvision's `ImageFolder` class order) instead of most-frequent first. Label indices then
    depend only on the set of label names: not on how many images each class has, nor on the order
    in which data-loader workers happen to deliver instances (which breaks ties between equally
    frequent labels in allennlp's default), so they are the same from run to run and stay put when
    images are added.

    Registered as a `Vocabulary` with name "sorted_labels".

    # Parameters

    sorted_namespaces : `List[str]`, optional (default = `["*labels"]`)
        The namespaces to sort (patterns as in `non_padded_namespaces`). In a padded namespace the
        padding and OOV tokens keep indices 0 and 1.
    **kwargs
        Passed to `Vocabulary.from_instances` (`min_count`, `tokens_to_add`, ...).
    """

    @classmethod
    def from_instances(  # type: ignore
        cls,
        instances: Iterable[Instance],
        sorted_namespaces: Optional[List[str]] = None,
        **kwargs,
    ) -> "SortedLabelsVocabulary":
        vocab = super().from_instances(instances, **kwargs)
        for namespace in vocab.get_namespaces():
            if any(namespace_match(pattern, namespace) for pattern in sorted_namespaces or ["*labels"]):
                vocab.sort_namespace(namespace)
        return vocab

    def sort_namespace(self, namespace: str) -> None:
        """Re-indexes `namespace` in sorted token order (after padding and OOV, if it has them)."""
        size = self.get_vocab_size(namespace)
        tokens = [self._index_to_token[namespace][index] for index in range(size)]
        special = 2 if self.is_padded(namespace) else 0
        ordered = tokens[:special] + sorted(tokens[special:])
        self._token_to_index[namespace].clear()
        self._token_to_index[namespace].update((token, index) for index, token in enumerate(ordered))
        self._index_to_token[namespace].clear()
        self._index_to_token[namespace].update(enumerate(ordered))
