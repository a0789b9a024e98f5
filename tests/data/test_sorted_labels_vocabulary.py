from allennlp.common import Params
from allennlp.data import Instance, Vocabulary
from allennlp.data.fields import LabelField

from allencv.data import SortedLabelsVocabulary


def labelled(*labels, namespace="labels"):
    return [Instance({"label": LabelField(label, label_namespace=namespace)}) for label in labels]


def test_labels_are_sorted_by_name_not_frequency():
    instances = labelled("dog", "dog", "dog", "cat", "emu", "emu")
    assert Vocabulary.from_instances(instances).get_index_to_token_vocabulary("labels") == {0: "dog", 1: "emu", 2: "cat"}
    vocab = Vocabulary.from_params(Params({"type": "sorted_labels"}), instances=instances)
    assert isinstance(vocab, SortedLabelsVocabulary)
    assert vocab.get_index_to_token_vocabulary("labels") == {0: "cat", 1: "dog", 2: "emu"}
    assert vocab.get_token_index("emu", "labels") == 2


def test_the_order_does_not_depend_on_reading_order():
    forward = SortedLabelsVocabulary.from_instances(labelled("b", "a", "c"))
    backward = SortedLabelsVocabulary.from_instances(labelled("c", "a", "b"))
    assert forward.get_index_to_token_vocabulary("labels") == backward.get_index_to_token_vocabulary("labels")


def test_from_instances_options_pass_through_and_padded_namespaces_keep_their_specials():
    instances = labelled("z", "z", "y", "x", namespace="tokens")
    vocab = Vocabulary.from_params(
        Params({"type": "sorted_labels", "sorted_namespaces": ["tokens"], "min_count": {"tokens": 1},
                "tokens_to_add": {"tokens": ["w"]}}),
        instances=instances,
    )
    assert vocab.get_index_to_token_vocabulary("tokens") == {
        0: "@@PADDING@@", 1: "@@UNKNOWN@@", 2: "w", 3: "x", 4: "y", 5: "z"
    }


def test_sorted_order_survives_saving(tmp_path):
    vocab = SortedLabelsVocabulary.from_instances(labelled("b", "b", "a"))
    vocab.save_to_files(str(tmp_path))
    assert (tmp_path / "labels.txt").read_text().split() == ["a", "b"]
    assert Vocabulary.from_files(str(tmp_path)).get_token_index("a", "labels") == 0
