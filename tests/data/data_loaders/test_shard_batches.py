import pytest

from allencv.data.data_loaders.shard_batches import ShardBatches


@pytest.mark.parametrize("size, world_size, batch_size", [(9, 2, 4), (10, 3, 3), (23, 4, 2), (7, 1, 3), (5, 2, 2), (5, 2, 1), (7, 3, 1)])
@pytest.mark.parametrize("shuffle", [False, True])
def test_every_shard_runs_the_same_number_of_batches_and_reads_each_item_once(size, world_size, batch_size, shuffle):
    counts = set()
    for rank in range(world_size):
        shard_size = len(range(size)[rank::world_size])
        sampler = ShardBatches(size, shard_size, batch_size, shuffle, drop_last=False, world_size=world_size)
        batches = list(sampler)
        counts.add(len(batches))
        assert len(batches) == len(sampler)
        read = sorted(index for batch in batches for index in batch)
        if shard_size >= len(sampler):
            assert read == list(range(shard_size))
        else:  # fewer items than batches (shards of 3 and 2, batch size 1): one is read twice
            assert sorted(set(read)) == list(range(shard_size)) and len(read) == len(sampler)
        assert all(1 <= len(batch) <= batch_size for batch in batches)  # an empty batch used to come
    assert len(counts) == 1


def test_full_batches_come_first():
    assert list(ShardBatches(9, 4, 4, shuffle=False, drop_last=False, world_size=2)) == [[0, 1, 2], [3]]
    assert list(ShardBatches(9, 5, 4, shuffle=False, drop_last=False, world_size=2)) == [[0, 1, 2, 3], [4]]
    assert list(ShardBatches(7, 7, 3, shuffle=False, drop_last=False)) == [[0, 1, 2], [3, 4, 5], [6]]


def test_drop_last_keeps_only_full_batches_and_the_same_count_everywhere():
    assert list(ShardBatches(7, 7, 3, shuffle=False, drop_last=True)) == [[0, 1, 2], [3, 4, 5]]
    # Shards of 9 and 8 items: 2 full batches of 3 on each.
    assert len(ShardBatches(17, 9, 3, shuffle=False, drop_last=True, world_size=2)) == 2
    assert len(list(ShardBatches(17, 8, 3, shuffle=False, drop_last=True, world_size=2))) == 2
