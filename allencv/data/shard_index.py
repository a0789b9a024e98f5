"""
The index of a set of WebDataset tar shards written by `allencv.datasets.to_shards`: the class
list and how many samples each shard holds, so that a reader knows the labels and can balance
shards across processes without opening a shard.
"""
import json
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from allennlp.common.checks import ConfigurationError

#: The index's file name, next to the shards it describes.
INDEX_NAME = "index.json"
FORMAT = "allencv-webdataset"


@dataclass
class ShardIndex:
    """
    `classes`: the label names of the source, sorted (a sample's `cls` `i` is `classes[i]`);
    `shards`: shard file name to sample count, in writing order; `class_counts`: samples per
    class; `skipped`: the source files left out, by reason.
    """

    classes: List[str]
    shards: Dict[str, int]
    class_counts: Dict[str, int] = field(default_factory=dict)
    skipped: Dict[str, int] = field(default_factory=dict)

    @property
    def labels(self) -> List[str]:
        """The classes that have samples, sorted: what a model trained on the shards learns."""
        return [label for label in self.classes if self.class_counts.get(label, 0) > 0]

    @property
    def total(self) -> int:
        return sum(self.shards.values())

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": FORMAT,
                "classes": self.classes,
                "shards": [{"name": name, "count": count} for name, count in self.shards.items()],
                "class_counts": self.class_counts,
                "total": self.total,
                "skipped": self.skipped,
            },
            indent=2,
        )

    @classmethod
    def from_json(cls, text: str, where: str) -> "ShardIndex":
        """Parses an index file's `text`; a `ConfigurationError` names `where` when it is not one."""
        try:
            data: Any = json.loads(text)
            if data.get("format") != FORMAT:
                raise ValueError(f"its format is {data.get('format')!r}, not {FORMAT!r}")
            classes = [str(name) for name in data["classes"]]
            shards = {str(shard["name"]): int(shard["count"]) for shard in data["shards"]}
            class_counts = {str(name): int(count) for name, count in data["class_counts"].items()}
            return cls(classes, shards, class_counts, dict(data.get("skipped", {})))
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise ConfigurationError(
                f"{where} is not a shard index written by allencv.datasets.to_shards ({error}); "
                "write the shards with `python -m allencv.datasets.to_shards SRC OUT`."
            ) from error


def read_index(location: str, shards: Optional[str] = None) -> ShardIndex:
    """
    The index at `location`: a local path, or any URL or `pipe:` command that the `webdataset`
    library opens. A `ConfigurationError` names it (and the `shards` it is for) when it cannot be
    read.
    """
    from allencv.data.webdataset_support import webdataset

    try:
        with webdataset().gopen(location, "rb") as stream:
            text = stream.read().decode("utf-8")
    except Exception as error:  # gopen raises OSError, ValueError or a pipe's own errors
        of_shards = f" of the shards {shards}" if shards else ""
        raise ConfigurationError(
            f"Cannot read the shard index {location}{of_shards} ({error}). It is the {INDEX_NAME} that "
            "allencv.datasets.to_shards writes next to the shards; give its location as the "
            "reader's (or vocabulary's) `index`."
        ) from error
    return ShardIndex.from_json(text, location)
