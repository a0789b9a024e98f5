from typing import List, TypeVar

import torch.distributed as dist
from allennlp.nn.util import is_distributed

T = TypeVar("T")


def gather_from_processes(value: T) -> List[T]:
    """
    `value` from every process of a distributed run, in rank order (`[value]` outside one): for
    metrics whose state is a list of objects that differ in size between processes, which
    `all_gather_object` sends as they are.
    """
    if not is_distributed():
        return [value]
    gathered: List[T] = [None] * dist.get_world_size()  # type: ignore[list-item]
    dist.all_gather_object(gathered, value)
    return gathered
