"""
Writes an image folder (`SRC/<label>/<image>`, as `image_classification_directory` reads it) or
a single-label manifest (`SRC.csv` / `SRC.jsonl`, as `image_manifest` reads it) as WebDataset tar
shards for the `webdataset` reader:

    python -m allencv.datasets.to_shards data/train shards/train --shard-size 1000

Each sample of `OUT/shard-000000.tar`, `OUT/shard-000001.tar`, ... is the image file's bytes as
stored (`<key>.jpg`, `<key>.png`, ...), its class number (`<key>.cls`) and its label and original
path (`<key>.json`). `OUT/index.json` holds the class list and each shard's sample count. Files
that are not usable images are skipped and counted, as the readers do. The samples are shuffled
(with `--seed`) before they are written, so that every shard is a random sample of the data: a
reader that visits shards in turn then needs only a small shuffle buffer.
"""
import argparse
import logging
import random
import sys
import time
from pathlib import Path
from typing import Dict, Iterator, List, NamedTuple, Optional, Union

from allennlp.common.checks import ConfigurationError

from allencv.data.dataset_readers.image_classification_directory import list_labelled_files
from allencv.data.dataset_readers.image_dataset_reader import resolve_directory
from allencv.data.dataset_readers.image_manifest import BadRowError, ImageManifestReader, resolve_manifest
from allencv.data.dataset_readers.skipped_files import SkippedFiles
from allencv.data.image_loading import DEFAULT_MAX_PIXELS, ImageLoadError, is_image_file, load_image
from allencv.data.shard_index import INDEX_NAME, ShardIndex
from allencv.data.webdataset_support import webdataset

logger = logging.getLogger(__name__)


class SourceImage(NamedTuple):
    """An image to write: its file, label, and the path stored with it (relative to SRC)."""

    path: Path
    label: str
    stored_path: str


def list_source(source: Path, skipped: SkippedFiles) -> List[SourceImage]:
    """
    The images of a folder or manifest, in the readers' order; entries that the listing already
    rules out (broken symlinks, bad manifest rows, non-image files, ...) are counted in `skipped`.
    """
    if source.is_dir():
        root = resolve_directory(str(source))
        images = []
        for file in list_labelled_files(root):
            if file.problem is not None:
                skipped.add(file.problem)
            elif file.path.name.startswith("."):
                skipped.add(ImageLoadError(str(file.path), "hidden file", "not an image"))
            elif not is_image_file(file.path):
                skipped.add(ImageLoadError(str(file.path), "not an image file", f"suffix {file.path.suffix!r}"))
            else:
                images.append(SourceImage(file.path, file.label, str(file.path.relative_to(root))))
        return images
    manifest = resolve_manifest(str(source))
    images = []
    for row in ImageManifestReader()._rows(manifest):
        if isinstance(row, BadRowError):
            skipped.add(row)
        else:
            path, label = row
            images.append(SourceImage(path, str(label), str(path.relative_to(manifest.parent))))
    return images


def write_shards(
    source: Union[str, Path],
    output: Union[str, Path],
    shard_size: int = 1000,
    prefix: str = "shard",
    seed: Optional[int] = 0,
    max_image_pixels: int = DEFAULT_MAX_PIXELS,
) -> ShardIndex:
    """
    Writes `source` (a folder or manifest) as shards of `shard_size` images into the folder
    `output`, which must not hold shards already, and returns the index it writes there.
    `seed=None` keeps the readers' order instead of shuffling.
    """
    if shard_size < 1:
        raise ConfigurationError(f"--shard-size must be at least 1, got {shard_size}.")
    source, output = Path(source).expanduser(), Path(output).expanduser()
    if output.is_dir() and (any(output.glob("*.tar")) or (output / INDEX_NAME).exists()):
        raise ConfigurationError(
            f"{output} already holds shards; give a new or empty folder so that no shard of an "
            "earlier conversion is mixed in."
        )
    skipped = SkippedFiles()
    images = list_source(source, skipped)
    if seed is not None:
        random.Random(seed).shuffle(images)
    output.mkdir(parents=True, exist_ok=True)
    # Class numbers come from the listing, so that the images can be written as they are read;
    # a class whose every image fails to decode keeps its number, with a count of 0.
    classes = sorted({image.label for image in images})
    class_numbers = {label: number for number, label in enumerate(classes)}
    class_counts = dict.fromkeys(classes, 0)
    shards: Dict[str, int] = {}
    wds = webdataset()
    writer, partial = None, output
    for number, (image, data) in enumerate(_readable(images, skipped, max_image_pixels)):
        if number % shard_size == 0:
            if writer is not None:
                _finish(writer, partial)
            name = f"{prefix}-{number // shard_size:06d}.tar"
            partial = output / (name + ".partial")
            # A whole-second time stamp: a fractional one costs every member a pax header, which
            # about doubles the time to parse a shard.
            writer = wds.TarWriter(str(partial), mtime=int(time.time()))
            shards[name] = 0
        writer.write({
            "__key__": f"{number:09d}",
            image.path.suffix.lower().lstrip("."): data,
            "cls": class_numbers[image.label],
            "json": {"label": image.label, "path": image.stored_path},
        })
        shards[name] += 1
        class_counts[image.label] += 1
    if writer is None:
        raise ConfigurationError(f"{source} has no readable image ({skipped.summary(str(source))}).")
    _finish(writer, partial)
    index = ShardIndex(classes, shards, class_counts, skipped.as_dict())
    (output / INDEX_NAME).write_text(index.to_json())
    for label in sorted(label for label, count in class_counts.items() if count == 0):
        logger.warning("Class %r has no readable image in %s, so no sample has its label.", label, source)
    skipped.log(logger, str(source))
    return index


def _finish(writer, partial: Path) -> None:
    """Closes a shard and gives it its name: a shard is complete or absent."""
    writer.close()
    partial.rename(partial.with_suffix(""))


def _readable(images: List[SourceImage], skipped: SkippedFiles, max_pixels: int) -> Iterator:
    """`(image, bytes)` for each image that decodes; the others are counted in `skipped`."""
    for image in images:
        try:
            data = image.path.read_bytes()
        except OSError as error:
            skipped.add(ImageLoadError(str(image.path), "unreadable", str(error)))
            continue
        try:
            load_image(data, max_pixels=max_pixels)
        except ImageLoadError as error:
            skipped.add(ImageLoadError(str(image.path), error.category, error.reason))
            continue
        yield image, data


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", help="an image folder (SRC/<label>/<image>) or a .csv/.jsonl manifest")
    parser.add_argument("output", help="the folder to write the shards and index.json into")
    parser.add_argument("--shard-size", type=int, default=1000, help="images per shard (default 1000)")
    parser.add_argument("--prefix", default="shard", help="shard file names: PREFIX-000000.tar, ...")
    parser.add_argument("--seed", type=int, default=0, help="seed of the shuffle before writing")
    parser.add_argument("--no-shuffle", action="store_true", help="write in the readers' order")
    parser.add_argument("--max-image-pixels", type=int, default=DEFAULT_MAX_PIXELS,
                        help="skip images with more pixels than this, as the readers do")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    try:
        index = write_shards(args.source, args.output, args.shard_size, args.prefix,
                             None if args.no_shuffle else args.seed, args.max_image_pixels)
    except ConfigurationError as error:
        sys.exit(f"error: {error}")
    skipped = ", ".join(f"{count} {reason}" for reason, count in index.skipped.items()) or "none"
    print(f"Wrote {index.total} images of {len(index.classes)} classes in {len(index.shards)} shard(s) "
          f"to {args.output} (index: {Path(args.output) / INDEX_NAME}); skipped: {skipped}.")


if __name__ == "__main__":
    main()
