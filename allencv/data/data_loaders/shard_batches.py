import math
from typing import Iterator, List

import torch


class ShardBatches(torch.utils.data.Sampler):
    """
    The batches of one process's shard of a map-style dataset, for a `torch.utils.data.DataLoader`
    `batch_sampler`: lists of indices into `range(shard_size)`, shuffled anew each epoch when
    `shuffle`, `batch_size` at a time.

    Under distributed training the shards of a dataset of `size` items differ by one item, but
    every process must run the same number of batches: allennlp's trainer stops all of them when
    the first runs out, which would silently skip the rest of the others' data. So every shard
    yields the same number of batches, that of the largest shard (of the smallest with
    `drop_last`); a smaller shard fills its last two batches a little less, and a shard with
    fewer items than batches repeats some of its items (as torch's `DistributedSampler` pads),
    so that no batch is empty.
    """

    def __init__(
        self, size: int, shard_size: int, batch_size: int, shuffle: bool, drop_last: bool, world_size: int = 1
    ) -> None:
        self.shard_size = shard_size
        self.batch_size = batch_size
        self.shuffle = shuffle
        if drop_last:
            self.num_batches = (size // world_size) // batch_size
        else:
            self.num_batches = math.ceil(math.ceil(size / world_size) / batch_size)

    def __len__(self) -> int:
        return self.num_batches

    def __iter__(self) -> Iterator[List[int]]:
        order = torch.randperm(self.shard_size).tolist() if self.shuffle else list(range(self.shard_size))
        while order and len(order) < self.num_batches:
            order += order[: self.num_batches - len(order)]
        start = 0
        for batches_left in range(self.num_batches, 0, -1):
            # Full batches first, leaving at least one index for each batch still to come.
            size = min(self.batch_size, len(order) - start - (batches_left - 1))
            yield order[start: start + size]
            start += size
