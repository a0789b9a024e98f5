"""
Safe extraction of model archives.

allennlp's `load_archive` (behind `Predictor.from_path`, `allennlp predict`, `evaluate`, `serve`,
`export`, `classification-report`, `Model.from_archive` and the `pretrained` initializer) unpacks a
`model.tar.gz` with `allennlp.models.archival.extracted_archive`, which calls `tarfile.extractall`
with no filter: a member named `../../x`, an absolute path, a symlink or hard link pointing outside
the folder, or a device file is written wherever it says.

Importing `allencv` (which `.allennlp_plugins` and `--include-package allencv` do before any
command runs) replaces `allennlp.models.archival.extracted_archive` with `extracted_archive` below.
`load_archive` and the initializer look that name up in the module when they are called, so every
one of those entry points gets it; nothing else in the process changes (the default extraction
filter of `tarfile` is left as it is). It extracts with Python's `filter="data"` and turns a refused
member into an `UnsafeArchiveError` naming the archive and the member, after removing what was
extracted.
"""

import logging
import os
import shutil
import tarfile
import tempfile
from contextlib import contextmanager
from typing import Iterator, Union

import allennlp.models.archival
from allennlp.common.checks import ConfigurationError

logger = logging.getLogger(__name__)

#: Why the "data" filter refuses a member, by the error it raises.
_REASONS = {
    tarfile.AbsolutePathError: "has an absolute path",
    tarfile.OutsideDestinationError: "would be written outside the extraction folder",
    tarfile.SpecialFileError: "is a device file, FIFO or other special file",
    tarfile.AbsoluteLinkError: "is a link to an absolute path",
    tarfile.LinkOutsideDestinationError: "is a link pointing outside the extraction folder",
}


class UnsafeArchiveError(ConfigurationError):
    """An archive with a member that safe extraction refuses; nothing of it is left on disk."""


@contextmanager
def extracted_archive(
    resolved_archive_file: Union[str, os.PathLike], cleanup: bool = True
) -> Iterator[str]:
    """
    Extracts `resolved_archive_file` (a `.tar.gz`) into a new temporary folder with
    `filter="data"` and yields the folder, which is removed afterwards when `cleanup` is true.
    A drop-in replacement of allennlp's `extracted_archive`.
    """
    tempdir = tempfile.mkdtemp()
    logger.info(f"extracting archive file {resolved_archive_file} to temp dir {tempdir}")
    try:
        with tarfile.open(resolved_archive_file, "r:gz") as archive:
            archive.extractall(tempdir, filter="data")
    except tarfile.FilterError as error:
        shutil.rmtree(tempdir, ignore_errors=True)
        reason = _REASONS.get(type(error), f"is refused ({error})")
        raise UnsafeArchiveError(
            f"Refusing to load the archive {resolved_archive_file}: its member "
            f"{error.tarinfo.name!r} {reason}. Nothing was extracted outside a temporary folder, "
            "which is removed. The archive may have been tampered with; load only archives you "
            "made or trust (`allennlp train` writes model.tar.gz without such members)."
        ) from error
    except BaseException:
        shutil.rmtree(tempdir, ignore_errors=True)
        raise
    try:
        yield tempdir
    finally:
        if cleanup:
            logger.info(f"removing temporary unarchived model dir at {tempdir}")
            shutil.rmtree(tempdir, ignore_errors=True)


allennlp.models.archival.extracted_archive = extracted_archive
