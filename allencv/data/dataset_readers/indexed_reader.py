from typing import Any, Optional, Sequence

from allennlp.data.instance import Instance


class IndexedReader:
    """
    A dataset reader that can list its data cheaply (file names, not pixels) and build each
    instance from one listed item on its own. `TorchDataLoader` reads such a reader map-style, like
    torchvision's `ImageFolder`: it shuffles the item list, and its workers decode only the items
    of their batches, so every epoch sees every instance once, freshly augmented.

    Implementations keep `_read` equivalent to
    `item_to_instance(item) for item in shard_iterable(list_items(file_path))`, minus skipped items.
    """

    def list_items(self, file_path: str) -> Sequence[Any]:
        """Every item of `file_path`, in reading order; items must be picklable."""
        raise NotImplementedError

    def item_to_instance(self, item: Any) -> Optional[Instance]:
        """The instance for `item`, or `None` when it is skipped (and counted in `self.skipped`)."""
        raise NotImplementedError

    def item_to_label_instance(self, item: Any) -> Optional[Instance]:
        """
        An instance of `item`'s label fields only, built without decoding its image, or `None`
        when the listing already rules the item out: all that building a vocabulary (or counting
        classes) needs, so `TorchDataLoader.iter_instances` gives these. By default, the whole
        instance; readers that know their labels from folder names or a manifest override it.
        """
        return self.item_to_instance(item)
