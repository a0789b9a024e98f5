import logging
from collections import Counter
from typing import Dict, List, Tuple

from allencv.data.image_loading import ImageLoadError, printable

#: How many skipped paths a summary names.
EXAMPLES_SHOWN = 5


def describe_counts(counts: Counter) -> str:
    """`counts` (how many, by reason) as `"2 reason, 1 other reason"`, the reasons in order."""
    return ", ".join(f"{count} {reason}" for reason, count in sorted(counts.items()))


class SkippedFiles:
    """
    The files a reader left out of one pass over its data: how many, why (by category), and the
    first few paths, so a user knows exactly what was not trained on.
    """

    def __init__(self) -> None:
        self.counts: Counter = Counter()
        self.examples: List[Tuple[str, str]] = []

    def add(self, error: ImageLoadError) -> None:
        self.counts[error.category] += 1
        if len(self.examples) < EXAMPLES_SHOWN:
            self.examples.append((error.source, error.reason))

    def update(self, other: "SkippedFiles") -> None:
        """Adds the files `other` skipped, e.g. those of one data-loader worker."""
        self.counts.update(other.counts)
        self.examples.extend(other.examples[: EXAMPLES_SHOWN - len(self.examples)])

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def as_dict(self) -> Dict[str, int]:
        return dict(sorted(self.counts.items()))

    def summary(self, source: str) -> str:
        examples = "; ".join(f"{printable(path)} ({printable(reason)})" for path, reason in self.examples)
        return f"Skipped {self.total} file(s) in {printable(source)}: {describe_counts(self.counts)}. First: {examples}"

    def log(self, logger: logging.Logger, source: str) -> None:
        if self.total:
            logger.warning(self.summary(source))
