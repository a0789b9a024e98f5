from allennlp.data.vocabulary import Vocabulary

from allencv.data.shard_index import read_index


@Vocabulary.register("shard_index", constructor="from_shard_index")
class ShardIndexVocabulary(Vocabulary):
    """
    A vocabulary whose labels are the classes of a set of tar shards, read from the `index.json`
    that `allencv.datasets.to_shards` writes: the classes that have samples, in sorted order (as
    the `sorted_labels` vocabulary orders them). Nothing is decoded to build it, where allennlp's
    default vocabulary reads every training instance, decoding every image once before training.

    Registered as a `Vocabulary` with name "shard_index".

    # Parameters

    index : `str`
        The training shards' index: a path, URL or `pipe:` command (`shards/train/index.json`).
    label_namespace : `str`, optional (default = `"labels"`)
    """

    @classmethod
    def from_shard_index(cls, index: str, label_namespace: str = "labels") -> "ShardIndexVocabulary":
        vocab = cls()
        vocab.add_tokens_to_namespace(read_index(index).labels, label_namespace)
        return vocab
