from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple, Union

from allennlp.common.checks import ConfigurationError
from allennlp.data.dataset_readers.dataset_reader import DatasetReader
from allennlp.data.fields import TextField
from allennlp.data.instance import Instance
from allennlp.data.token_indexers import SingleIdTokenIndexer, TokenIndexer
from allennlp.data.tokenizers import Tokenizer, WhitespaceTokenizer

from allencv.data.dataset_readers.image_manifest import BadRowError, ImageManifestReader
from allencv.data.image_loading import ImageSource
from allencv.data.transforms import ImageTransform

#: A usable row of a manifest with text: the image path, its label(s) and its texts by column.
TextRow = Tuple[Path, Union[str, List[str]], Dict[str, str]]

RESERVED_FIELDS = ("image", "label", "labels", "metadata")


@DatasetReader.register("image_text_manifest")
class ImageTextManifestReader(ImageManifestReader):
    """
    Reads an image and one or more texts per row of a manifest (CSV or JSON Lines, as
    `image_manifest`): each text column becomes a `TextField` of the same name, tokenized by
    `tokenizer` and indexed by `token_indexers`, beside the `image`, `metadata` and `label` (or
    `labels` with `multi_label: true`) fields of `image_manifest`.

    ```
    path,caption,label               {"path": "images/1.png", "caption": "a red circle", "label": "true"}
    images/1.png,a red circle,true
    ```

    A row whose text cell is missing (a short CSV row, a JSON object without the key) or is not a
    string is skipped and counted as "bad row", like a row without a path or label. An empty (or
    all-space) text is kept as an empty `TextField`: `image_text_classifier` gives it a zero text
    vector, so a product without a description is still classified from its photo. A CSV header
    without one of the text columns fails at once, naming it.

    Registered as a `DatasetReader` with name "image_text_manifest".

    # Parameters

    text_columns : `List[str]`, optional (default = `["text"]`)
        The columns holding text; each is a `TextField` named after its column.
    tokenizer : `Tokenizer`, optional (default = `WhitespaceTokenizer()`)
        Splits each text into tokens, e.g. `{"type": "pretrained_transformer", "model_name": ...}`.
    token_indexers : `Dict[str, TokenIndexer]`, optional (default = `{"tokens": SingleIdTokenIndexer()}`)
    max_tokens : `int`, optional
        Keeps only the first `max_tokens` tokens of each text (no limit by default).
    transforms : `List[ImageTransform]`, optional
        Preprocessing and augmentation of the image (see `ImageDatasetReader`).
    path_column, label_column, multi_label, label_separator, label_namespace
        As for `image_manifest`.
    **kwargs
        Passed to `ImageDatasetReader` (`on_error`, `max_image_pixels`) and `DatasetReader`.
    """

    def __init__(
        self,
        text_columns: Optional[List[str]] = None,
        tokenizer: Optional[Tokenizer] = None,
        token_indexers: Optional[Dict[str, TokenIndexer]] = None,
        max_tokens: Optional[int] = None,
        transforms: Optional[List[ImageTransform]] = None,
        path_column: str = "path",
        label_column: Optional[str] = None,
        multi_label: bool = False,
        label_separator: str = "|",
        label_namespace: str = "labels",
        **kwargs,
    ) -> None:
        super().__init__(
            transforms=transforms,
            path_column=path_column,
            label_column=label_column,
            multi_label=multi_label,
            label_separator=label_separator,
            label_namespace=label_namespace,
            **kwargs,
        )
        self.text_columns = list(text_columns) if text_columns is not None else ["text"]
        if not self.text_columns:
            raise ConfigurationError("dataset_reader.text_columns is empty; name at least one text column.")
        clashes = sorted(set(self.text_columns) & set(RESERVED_FIELDS + (self.path_column, self.label_column)))
        if clashes or len(set(self.text_columns)) != len(self.text_columns):
            raise ConfigurationError(
                f"dataset_reader.text_columns {self.text_columns} must be distinct and must not be "
                f"the path or label column or a field name the reader uses ({', '.join(RESERVED_FIELDS)})."
            )
        if max_tokens is not None and max_tokens < 1:
            raise ConfigurationError(f"dataset_reader.max_tokens must be at least 1, got {max_tokens}.")
        self.tokenizer = tokenizer or WhitespaceTokenizer()
        self.token_indexers = token_indexers or {"tokens": SingleIdTokenIndexer()}
        self.max_tokens = max_tokens

    def _csv_columns(self) -> Dict[str, str]:
        columns = super()._csv_columns()
        columns.update({f"text_columns[{index}]": column for index, column in enumerate(self.text_columns)})
        return columns

    def _parse(self, where: str, folder: Path, record: Dict[str, Any]) -> Union[TextRow, BadRowError]:  # type: ignore[override]
        row = super()._parse(where, folder, record)
        if isinstance(row, BadRowError):
            return row
        texts = {column: record.get(column) for column in self.text_columns}
        for column, text in texts.items():
            if not isinstance(text, str):
                return BadRowError(where, f"no text in column {column!r}")
        return row[0], row[1], texts  # type: ignore[return-value]

    def _row_instance(self, image: ImageSource, row: TextRow) -> Instance:  # type: ignore[override]
        path, labels, texts = row
        return self.text_to_instance(image, texts, labels, image_path=str(path))

    def item_to_label_instance(self, item: Union[TextRow, BadRowError]) -> Optional[Instance]:  # type: ignore[override]
        # The vocabulary also counts the texts' tokens, still without decoding an image.
        instance = super().item_to_label_instance(item)
        if instance is not None:
            for column in self.text_columns:
                instance.add_field(column, self.text_field(item[2].get(column) or ""))  # type: ignore[index]
        return instance

    def text_to_instance(  # type: ignore
        self,
        image: ImageSource,
        texts: Union[str, Dict[str, str], None] = None,
        labels: Optional[Union[str, List[str]]] = None,
        image_path: Optional[str] = None,
    ) -> Instance:
        """
        An instance for one image (a path or anything `load_image` takes) and its texts: a dict by
        text column, or a single string when the reader has one text column; a missing text is
        empty. With `labels`, the label (or the list of labels when `multi_label`).
        """
        if texts is None or isinstance(texts, str):
            if texts is not None and len(self.text_columns) > 1:
                raise ValueError(
                    f"The reader has {len(self.text_columns)} text columns ({', '.join(self.text_columns)}); "
                    "give the texts as a dict by column."
                )
            texts = {self.text_columns[0]: texts or ""}
        unknown = sorted(set(texts) - set(self.text_columns))
        if unknown:
            raise ValueError(f"Unknown text column(s) {', '.join(unknown)}; the reader's are {', '.join(self.text_columns)}.")
        instance = super().text_to_instance(image, labels, image_path=image_path)
        for column in self.text_columns:
            instance.add_field(column, self.text_field(texts.get(column) or ""))
        return instance

    def text_field(self, text: str) -> TextField:
        """
        `text` tokenized (and cut to `max_tokens`), as a `TextField`; empty text is an empty field.
        Its token indexers are set by `apply_token_indexers`, as allennlp's loaders expect.
        """
        tokens = self.tokenizer.tokenize(text) if text.strip() else []
        return TextField(tokens[: self.max_tokens])

    def apply_token_indexers(self, instance: Instance) -> None:
        for column in self.text_columns:
            instance[column].token_indexers = self.token_indexers  # type: ignore[attr-defined]
