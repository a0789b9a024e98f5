"""
One output record per input line in `allennlp predict`.

allennlp's `_PredictManager` skips blank and whitespace-only lines before the predictor sees them,
so the output of a file with a blank line has fewer lines than its input, and later records no
longer sit on their input's line number. Importing `allencv` replaces the manager that
`allennlp.commands.predict._predict` builds (it looks `_PredictManager` up in its module when it
runs) with `LinePreservingPredictManager`, which gives every line (invalid UTF-8 included) to an AllenCV `ImagePredictor`;
its `load_line` turns a line holding no input into an error record (see
`allencv/predictors/image_predictor.py`). Other predictors keep allennlp's behaviour.
"""
import sys
from typing import Iterator

import allennlp.commands.predict
from allennlp.common.file_utils import cached_path, open_compressed
from allennlp.common.util import JsonDict

from allencv.predictors.image_predictor import ImagePredictor


class LinePreservingPredictManager(allennlp.commands.predict._PredictManager):
    """allennlp's predict manager, reading every input line, blank ones too, for an `ImagePredictor`."""

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


allennlp.commands.predict._PredictManager = LinePreservingPredictManager
