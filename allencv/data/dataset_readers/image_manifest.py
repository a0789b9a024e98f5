import csv
import json
import logging
import os
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Optional, Tuple, Union

from allennlp.common.checks import ConfigurationError
from allennlp.data.dataset_readers.dataset_reader import DatasetReader
from allennlp.data.fields import Field, MultiLabelField
from allennlp.data.instance import Instance

from allencv.data.dataset_readers.image_dataset_reader import ImageDatasetReader
from allencv.data.dataset_readers.indexed_reader import IndexedReader
from allencv.data.fields import TrainingLabelField
from allencv.data.image_loading import ImageLoadError, ImageSource
from allencv.data.transforms import ImageTransform

logger = logging.getLogger(__name__)

MANIFEST_FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}

#: A usable row of a manifest: the image path and its label(s).
Row = Tuple[Path, Union[str, List[str]]]


class BadRowError(ImageLoadError):
    """A manifest row without a usable path or label; counted as a "bad row" when skipped."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(where, "bad row", reason)


@DatasetReader.register("image_manifest")
class ImageManifestReader(ImageDatasetReader, IndexedReader):
    """
    Reads images listed in a manifest file, one row per image: a CSV file with a header row, or a
    JSON Lines file (`.jsonl` or `.ndjson`) of objects. Relative image paths resolve against the
    manifest's folder. Each image becomes an `Instance` with an `ImageField` named `image`, a
    `MetadataField` named `metadata` holding `{"image_path": ...}`, and

    - a `TrainingLabelField` named `label`, from the `label_column` (a validation row whose label
      the training data lacks fails with an error naming the row's image); or, with
      `multi_label: true`,
    - a `MultiLabelField` named `labels`: a JSON list in a JSON Lines file, or the cell split on
      `label_separator` in a CSV file (`cat|dog`); an empty list or cell means no label applies.

    ```
    path,label                       {"path": "images/1.png", "labels": ["cat", "dog"]}
    images/1.png,cat                 {"path": "images/2.png", "labels": []}
    ```

    A row without a path or a (single) label, a JSON line that is not an object, and a label
    cell of the wrong type are skipped and counted as "bad row", next to the images that fail to
    decode (see `ImageDatasetReader`); the summary after each pass names the first few by
    `file:line`. A CSV header without the path or label column fails at once, naming the columns
    it has.

    It is an `IndexedReader` (its items are the manifest's rows), so `TorchDataLoader` reads it
    map-style and builds the vocabulary from the manifest's labels without decoding any image.

    Registered as a `DatasetReader` with name "image_manifest".

    # Parameters

    transforms : `List[ImageTransform]`, optional
        Preprocessing and augmentation (see `ImageDatasetReader`).
    path_column : `str`, optional (default = `"path"`)
    label_column : `str`, optional (default = `"label"`, or `"labels"` with `multi_label`)
    multi_label : `bool`, optional (default = `False`)
    label_separator : `str`, optional (default = `"|"`)
        Separates the labels of a multi-label CSV cell.
    label_namespace : `str`, optional (default = `"labels"`)
    **kwargs
        Passed to `ImageDatasetReader` (`on_error`, `max_image_pixels`, `decoded_cache_mb`) and `DatasetReader`.
    """

    def __init__(
        self,
        transforms: Optional[List[ImageTransform]] = None,
        path_column: str = "path",
        label_column: Optional[str] = None,
        multi_label: bool = False,
        label_separator: str = "|",
        label_namespace: str = "labels",
        **kwargs,
    ) -> None:
        super().__init__(transforms=transforms, **kwargs)
        self.path_column = path_column
        self.multi_label = multi_label
        self.label_column = label_column or ("labels" if multi_label else "label")
        self.label_separator = label_separator
        self.label_namespace = label_namespace

    def _read(self, file_path: str) -> Iterable[Instance]:
        manifest = resolve_manifest(file_path)
        self._start_pass()
        for row in self.shard_iterable(self._rows(manifest)):
            instance = self.item_to_instance(row)
            if instance is not None:
                yield instance
        self._end_pass(str(manifest))

    def list_items(self, file_path: str) -> List[Union[Row, BadRowError]]:
        return list(self._rows(resolve_manifest(file_path)))

    def item_to_instance(self, item: Union[Row, BadRowError]) -> Optional[Instance]:
        if isinstance(item, BadRowError):
            self._skip(item)
            return None
        image = self.try_load_image(item[0])
        return None if image is None else self._row_instance(image, item)

    def item_to_label_instance(self, item: Union[Row, BadRowError]) -> Optional[Instance]:
        if isinstance(item, BadRowError):
            return None
        path, labels = item[0], item[1]
        return Instance(self._label_fields(labels, str(path)))

    def _row_instance(self, image: ImageSource, row: Row) -> Instance:
        path, labels = row
        return self.text_to_instance(image, labels, image_path=str(path))

    def _skip(self, error: BadRowError) -> None:
        if self.on_error == "raise":
            raise error
        self.skipped.add(error)

    def _rows(self, manifest: Path) -> Iterator[Union[Row, BadRowError]]:
        if MANIFEST_FORMATS[manifest.suffix.lower()] == "csv":
            records = _csv_records(manifest, self._csv_columns())
        else:
            records = _jsonl_records(manifest)
        for where, record in records:
            yield record if isinstance(record, BadRowError) else self._parse(where, manifest.parent, record)

    def _csv_columns(self) -> Dict[str, str]:
        """The columns a CSV header must have, by the config key that names each."""
        return {"path_column": self.path_column, "label_column": self.label_column}

    def _parse(self, where: str, folder: Path, record: Dict[str, Any]) -> Union[Row, BadRowError]:
        path = record.get(self.path_column)
        if not isinstance(path, str) or not path.strip():
            return BadRowError(where, f"no image path in column {self.path_column!r}")
        labels = record.get(self.label_column)
        if self.multi_label:
            if isinstance(labels, str):
                labels = [label for label in labels.split(self.label_separator) if label.strip()]
            if not isinstance(labels, list) or not all(isinstance(label, str) for label in labels):
                return BadRowError(where, f"column {self.label_column!r} is not a list of label names")
        elif not isinstance(labels, str) or not labels.strip():
            return BadRowError(where, f"no label in column {self.label_column!r}")
        return folder / os.path.expanduser(path.strip()), labels

    def text_to_instance(  # type: ignore
        self,
        image: ImageSource,
        labels: Optional[Union[str, List[str]]] = None,
        image_path: Optional[str] = None,
    ) -> Instance:
        """
        An instance for one image (a path or anything `load_image` takes), with its label, or
        with its list of labels when the reader is `multi_label`.
        """
        fields = self.image_fields(image, image_path)
        if labels is not None:
            fields.update(self._label_fields(labels, fields["metadata"]["image_path"]))
        return Instance(fields)

    def _label_fields(self, labels: Union[str, List[str]], image_path: Optional[str]) -> Dict[str, Field]:
        if self.multi_label:
            return {"labels": MultiLabelField(list(labels), label_namespace=self.label_namespace)}
        return {"label": TrainingLabelField(labels, self.label_namespace, source=image_path)}  # type: ignore[arg-type]


def resolve_manifest(file_path: str) -> Path:
    """The manifest named by `file_path`, or an error naming it and saying what is expected."""
    path = Path(str(file_path)).expanduser()
    if not path.is_file():
        raise ConfigurationError(
            f"The manifest {path} {'is a folder' if path.is_dir() else 'does not exist'}; give a "
            "CSV or JSON Lines file listing one image per row (use image_classification_directory "
            "for a folder of label folders)."
        )
    if path.suffix.lower() not in MANIFEST_FORMATS:
        raise ConfigurationError(
            f"The manifest {path} has suffix {path.suffix or '(none)'!r}; name it .csv, .jsonl or .ndjson."
        )
    return path


def _csv_records(
    manifest: Path, columns: Dict[str, str]
) -> Iterator[Tuple[str, Union[Dict[str, Any], BadRowError]]]:
    """The rows of a CSV manifest; fails at once when its header lacks one of `columns`."""
    with open(manifest, newline="", encoding="utf-8-sig") as file:
        reader = csv.DictReader(file)
        header = [name.strip() for name in reader.fieldnames or []]
        for key, column in columns.items():
            if column not in header:
                raise ConfigurationError(
                    f"{manifest} has no column {column!r} (its header has: "
                    f"{', '.join(header) or 'nothing'}); set the reader's {key}."
                )
        for row in reader:
            where = f"{manifest}:{reader.line_num}"
            if None in row:  # more cells than the header has columns
                yield where, BadRowError(where, "more cells than the header has columns")
            else:
                yield where, {key.strip(): value for key, value in row.items() if value is not None}


def _jsonl_records(manifest: Path) -> Iterator[Tuple[str, Union[Dict[str, Any], BadRowError]]]:
    with open(manifest, encoding="utf-8") as file:
        for number, line in enumerate(file, start=1):
            if not line.strip():
                continue
            where = f"{manifest}:{number}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                yield where, BadRowError(where, f"not JSON ({error})")
                continue
            if not isinstance(record, dict):
                yield where, BadRowError(where, "not a JSON object")
                continue
            yield where, record
