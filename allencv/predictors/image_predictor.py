import base64
import binascii
import json
from collections import defaultdict
from typing import Any, Dict, List, Tuple

from allennlp.common.util import JsonDict, sanitize
from allennlp.data import DatasetReader, Instance
from allennlp.models import Model
from allennlp.predictors.predictor import Predictor

from allencv.data.image_loading import ImageLoadError, ImageSource


class BadInputError(ValueError):
    """A prediction input that names no usable image."""


class ImagePredictor(Predictor):
    """
    What AllenCV's predictors share. Each JSON input names one image, as `{"image_path": ...}` or
    `{"image": <base64 of the encoded file>}`; in Python, `predict(image)` also takes a PIL image, a
    numpy array or a tensor.

    The JSON methods (`predict_json`, `predict_batch_json`, and so `allennlp predict`) never stop
    on a bad input (a line that is not JSON, a missing key, bad base64, a missing or unreadable
    image): its output is `{"error": "...", "input": ...}` naming the input, in the input's place,
    and every other input is predicted as usual. `predict(image)` and `predict_batch(images)` raise
    `ImageLoadError` instead.

    A prediction never depends on the other images of its batch (nor on `--batch-size`, nor, in
    the service, on other clients' requests): `predict_batch_instance` runs the model once per
    image size in the batch, so no image is padded to a batchmate's size (padding would change
    what the model pools or normalizes over).
    """

    @property
    def model(self) -> Model:
        """The model this predictor runs (e.g. for the service's `GET /info`)."""
        return self._model

    @property
    def dataset_reader(self) -> DatasetReader:
        """The reader that turns inputs into instances (the archive's validation reader)."""
        return self._dataset_reader

    def predict(self, image: ImageSource) -> JsonDict:
        """Predicts on a path, encoded bytes, a PIL image, a numpy array or a tensor."""
        return self.predict_instance(self._dataset_reader.text_to_instance(image))

    def predict_batch(self, images: List[ImageSource]) -> List[JsonDict]:
        """Predicts on several images (anything `predict` takes) in one batch."""
        instances = [self._dataset_reader.text_to_instance(image) for image in images]
        return self.predict_batch_instance(instances)

    def predict_batch_instance(self, instances: List[Instance]) -> List[JsonDict]:
        return sanitize(self.forward_by_size(instances))

    def forward_by_size(self, instances: List[Instance]) -> List[Dict[str, Any]]:
        """The model's outputs for `instances`, in order, from one forward pass per image size."""
        for instance in instances:
            self._dataset_reader.apply_token_indexers(instance)
        outputs: List[Dict[str, Any]] = [{} for _ in instances]
        for positions in same_size_groups(instances):
            same_size = [instances[position] for position in positions]
            for position, output in zip(positions, self._model.forward_on_instances(same_size)):
                outputs[position] = output
        return outputs

    def load_line(self, line: str) -> JsonDict:
        """
        The JSON object on `line`, or an error record for a line that holds none: blank, not
        JSON, JSON Python cannot read (an integer over 4,300 digits, nesting too deep), or not an
        object. `allennlp predict` (see `allencv/commands/predict.py`) gives this every line, so
        its output has one record per input line.
        """
        if not line.strip():
            return {"error": "blank line (no input on it)", "input": ""}
        try:
            parsed = json.loads(line)
        except (ValueError, RecursionError) as error:  # JSONDecodeError is a ValueError
            message = str(error).split(";")[0][:200]
            return {"error": f"not a JSON line ({type(error).__name__}: {message})", "input": line.strip()[:200]}
        if not isinstance(parsed, dict):
            return {"error": "expected a JSON object", "input": line.strip()[:200]}
        return parsed

    def predict_json(self, inputs: JsonDict) -> JsonDict:
        return self.predict_batch_json([inputs])[0]

    def predict_batch_json(self, inputs: List[JsonDict]) -> List[JsonDict]:
        outputs: List[JsonDict] = []
        instances: List[Instance] = []
        positions: List[int] = []
        for input_dict in inputs:
            try:
                instance = self._json_to_instance(input_dict)
            except (BadInputError, ImageLoadError) as error:
                outputs.append({"error": str(error), "input": _describe(input_dict)})
                continue
            positions.append(len(outputs))
            outputs.append({})
            instances.append(instance)
        if instances:
            for position, prediction in zip(positions, self.predict_batch_instance(instances)):
                outputs[position] = prediction
        return sanitize(outputs)

    def _json_to_instance(self, json_dict: JsonDict) -> Instance:
        if "error" in json_dict and "input" in json_dict:  # a line load_line could not parse
            raise BadInputError(json_dict["error"])
        if "image_path" in json_dict:
            if not isinstance(json_dict["image_path"], str):
                raise BadInputError(
                    f"'image_path' must be a string, got {type(json_dict['image_path']).__name__}."
                )
            return self._dataset_reader.text_to_instance(json_dict["image_path"])
        if "image" in json_dict:
            return self._dataset_reader.text_to_instance(decode_base64_image(json_dict["image"]))
        raise BadInputError(
            f"The input has neither 'image_path' nor 'image' (base64); its keys are {sorted(json_dict)}."
        )


def same_size_groups(instances: List[Instance]) -> List[List[int]]:
    """The positions of `instances`, grouped by the shape of their `image` (in order of first appearance)."""
    by_size: Dict[Tuple[int, ...], List[int]] = defaultdict(list)
    for position, instance in enumerate(instances):
        by_size[tuple(instance["image"].image.shape)].append(position)  # type: ignore[attr-defined]
    return list(by_size.values())


def decode_base64_image(data: str) -> bytes:
    if not isinstance(data, str):
        raise BadInputError(f"'image' must be a base64 string, got {type(data).__name__}.")
    if data.startswith("data:") and "," in data:  # a data URL, as browsers make them
        data = data.split(",", 1)[1]
    data = "".join(data.split())  # line breaks, as the `base64` command writes them
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as error:
        raise BadInputError(f"'image' is not valid base64 ({error}).")


def _describe(input_dict: JsonDict) -> JsonDict:
    """The input, with long strings (a base64 image) shortened and containers summarised, for an error record."""
    described = {}
    for key, value in input_dict.items():
        limit = 40 if key == "image" else 200
        if isinstance(value, str) and len(value) > limit:
            value = value[:limit] + "..."
        elif isinstance(value, (list, dict)):
            value = f"<a JSON {'array' if isinstance(value, list) else 'object'} of {len(value)} item(s)>"
        described[key] = value
    return described
