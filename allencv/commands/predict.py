"""
One output record per input line in `allennlp predict`.

allennlp's `_PredictManager` skips blank and whitespace-only lines before the predictor sees them,
so the output of a file with a blank line has fewer lines than its input, and later records no
longer sit on their input's line number. Importing `allencv` replaces the manager that
`allennlp.commands.predict._predict` builds (it looks `_PredictManager` up in its module when it
runs) with `LinePreservingPredictManager`, which gives every line (invalid UTF-8 included) to an AllenCV `ImagePredictor`;
its `load_line` turns a line holding no input into an error record (see
`allencv/predictors/image_predictor.py`). Other predictors keep allennlp's behaviour.

allennlp's `predict` reads JSON lines; an image file or a folder given in their place (without
`--use-dataset-reader`) ended in a `UnicodeDecodeError` or `IsADirectoryError` traceback, or in a
record per line of an image's bytes. The manager stops such a run with one line that says what to
pass instead. And without `--silent`, allennlp prints every input and prediction to the terminal,
where a base64 image, mask or overlay is thousands of characters: the terminal gets them
shortened (the `--output-file` keeps them whole).
"""
import json
import sys
from pathlib import Path
from typing import Iterator, Optional

import allennlp.commands.predict
from allennlp.common.file_utils import cached_path, open_compressed
from allennlp.common.util import JsonDict

#: Longer strings of an input or prediction are shortened on the terminal.
CONSOLE_STRING_LIMIT = 80

from allencv.data.image_loading import is_image_file
from allencv.predictors.image_predictor import ImagePredictor


class LinePreservingPredictManager(allennlp.commands.predict._PredictManager):
    """
    allennlp's predict manager, reading every input line, blank ones too, for an `ImagePredictor`,
    and refusing an image file or folder in place of a JSON lines file.
    """

    def __init__(self, predictor, input_file: str, output_file: Optional[str], batch_size: int,
                 print_to_console: bool, has_dataset_reader: bool, multitask_head: Optional[str] = None) -> None:
        if not has_dataset_reader:
            refuse_images_in_place_of_json_lines(input_file)
        super().__init__(predictor, input_file, output_file, batch_size, print_to_console, has_dataset_reader, multitask_head)

    def _maybe_print_to_console_and_file(self, index: int, prediction: str, model_input: str = None) -> None:
        if self._print_to_console and isinstance(self._predictor, ImagePredictor):
            if model_input is not None:
                print(f"input {index}: ", shortened_json(model_input))
            print("prediction: ", shortened_json(prediction))
        elif self._print_to_console:
            super()._maybe_print_to_console_and_file(index, prediction, model_input)
            return
        if self._output_file is not None:
            self._output_file.write(prediction)

    def _get_json_data(self) -> Iterator[JsonDict]:
        if not isinstance(self._predictor, ImagePredictor):
            yield from super()._get_json_data()
            return
        if self._input_file == "-":
            sys.stdin.reconfigure(errors="replace")
            for line in sys.stdin:
                yield self._predictor.load_line(line)
            return
        # Bytes that are not UTF-8 become U+FFFD, so such a line gets its record too.
        with open_compressed(cached_path(self._input_file), errors="replace") as lines:
            for line in lines:
                yield self._predictor.load_line(line)


def shortened_json(text: str) -> str:
    """`text` (a JSON record) with its long strings cut to `CONSOLE_STRING_LIMIT` characters, for the terminal."""
    try:
        record = json.loads(text)
    except json.JSONDecodeError:
        return text if len(text) <= CONSOLE_STRING_LIMIT else f"{text[:CONSOLE_STRING_LIMIT]}... ({len(text)} characters)"
    return json.dumps(shorten(record))


def shorten(value):
    if isinstance(value, str) and len(value) > CONSOLE_STRING_LIMIT:
        return f"{value[:CONSOLE_STRING_LIMIT]}... ({len(value)} characters; whole in --output-file)"
    if isinstance(value, dict):
        return {key: shorten(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shorten(item) for item in value]
    return value


def refuse_images_in_place_of_json_lines(input_file: str) -> None:
    """Exits with one line, naming `allennlp predict-images`, when `input_file` is an image or a folder."""
    path = Path(input_file)
    if path.is_dir():
        given = f"{input_file} is a folder"
    elif is_image_file(path):
        given = f"{input_file} is an image file"
    else:
        return
    raise SystemExit(
        f"allennlp predict: error: {given}, but `allennlp predict` reads JSON lines "
        '(one {"image_path": ...} per line). To predict images and folders of images, run '
        "`allennlp predict-images ARCHIVE PATH [PATH ...]`; to predict a dataset the model's reader "
        "can read (e.g. a folder of class folders), add --use-dataset-reader."
    )


allennlp.commands.predict._PredictManager = LinePreservingPredictManager
