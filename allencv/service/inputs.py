"""
Turning a request into decoded images. Anything wrong with an input raises `InputError`, whose
status code and message the API returns as `{"error": message}`.
"""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Union

from allennlp.common.util import JsonDict
from starlette.datastructures import UploadFile
from starlette.requests import Request
from torchvision import tv_tensors

from allencv.data.image_loading import ImageLoadError, image_size, load_image, read_image_file
from allencv.predictors.image_predictor import BadInputError, decode_base64_image
from allencv.service.settings import ServiceSettings

#: The keys of a JSON input: one of the image keys, and the text of a model with text inputs.
INPUT_KEYS = ("image", "image_path", "text")
IMAGE_KEYS = ("image", "image_path")


class InputError(ValueError):
    """An input the API refuses, with the HTTP status code that says why."""

    def __init__(self, status_code: int, message: str, headers: Optional[Dict[str, str]] = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.headers = headers


@dataclass
class Upload:
    """An image file sent as a multipart form field."""

    filename: str
    data: bytes
    #: The form's `text` field, for a model with text inputs.
    text: Optional[str] = None


#: One input of a request: an uploaded file, or a JSON object checked by `check_json_input`.
RawInput = Union[Upload, Dict[str, str]]


@dataclass
class DecodedImage:
    image: tv_tensors.Image
    #: The input's `image_path`, echoed in its prediction.
    image_path: Optional[str] = None
    #: The input's text (a string, or an object by text column), for a model with text inputs.
    text: Optional[Union[str, Dict[str, str]]] = None


async def read_inputs(request: Request, many: bool, max_items: int) -> List[RawInput]:
    """
    The inputs of a `/predict` request (`many=False`: a JSON object, or a multipart `image` file)
    or of a `/predict_batch` request (`many=True`: `{"instances": [...]}`, or multipart `images`
    files).
    """
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type == "application/json":
        inputs = _json_inputs(await request.body(), many)
    elif media_type == "multipart/form-data":
        inputs = await _multipart_inputs(request, many, max_items)
    else:
        field = "images" if many else "image"
        raise InputError(
            415,
            f"Unsupported Content-Type {media_type or '(none)'!r}: send multipart/form-data with "
            f"the image file(s) in field {field!r}, or application/json.",
        )
    if many and not inputs:
        raise InputError(422, "The batch is empty; send at least one image.")
    if len(inputs) > max_items:
        raise InputError(
            422,
            f"The batch has {len(inputs)} images; this server takes at most {max_items} per request.",
        )
    return inputs


def _json_inputs(body: bytes, many: bool) -> List[Any]:
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError) as error:  # bad JSON or UTF-8, an int over 4,300 digits
        message = str(error).split(";")[0][:200]
        raise InputError(400, f"The body is not valid JSON ({type(error).__name__}: {message}).")
    if not many:
        check_json_input(parsed, "The body")
        return [parsed]
    if not isinstance(parsed, dict) or not isinstance(parsed.get("instances"), list):
        raise InputError(
            422, 'A JSON batch must be an object {"instances": [...]} holding one input per image.'
        )
    unknown = sorted(set(parsed) - {"instances"})
    if unknown:
        raise InputError(422, f"Unknown key(s) {unknown} in the batch; it takes only 'instances'.")
    for index, item in enumerate(parsed["instances"]):
        check_json_input(item, f"instances[{index}]")
    return parsed["instances"]


def check_json_input(raw: Any, where: str) -> None:
    """Raises a 422 naming `where` unless `raw` is an object with one string, `image` or `image_path`."""
    if not isinstance(raw, dict):
        raise InputError(
            422,
            f"{where} must be a JSON object with 'image' or 'image_path', not {type(raw).__name__}.",
        )
    unknown = sorted(set(raw) - set(INPUT_KEYS))
    if unknown:
        raise InputError(
            422, f"{where} has unknown key(s) {unknown}; give 'image' (base64) or 'image_path'."
        )
    image_keys = [key for key in raw if key in IMAGE_KEYS]
    if len(image_keys) != 1:
        raise InputError(
            422,
            f"{where} needs exactly one of 'image' (the image file as base64) and 'image_path'.",
        )
    key, value = image_keys[0], raw[image_keys[0]]
    if not isinstance(value, str):
        raise InputError(422, f"{where}: {key!r} must be a string, not {type(value).__name__}.")
    text = raw.get("text", "")
    if not (isinstance(text, str) or isinstance(text, dict) and all(isinstance(item, str) for item in text.values())):
        raise InputError(422, f"{where}: 'text' must be a string or an object of strings by text column.")


async def _multipart_inputs(request: Request, many: bool, max_items: int) -> List[Upload]:
    field = "images" if many else "image"
    async with request.form(max_files=max_items + 1) as form:
        values = form.getlist(field)
        texts = form.getlist("text")
        if not values:
            raise InputError(422, f"The form has no {field!r} field; put the image file(s) in it.")
        uploads = []
        for value in values:
            if not isinstance(value, UploadFile):
                raise InputError(422, f"The form field {field!r} must be a file, not text.")
            uploads.append(Upload(value.filename or "(unnamed upload)", await value.read()))
        if texts and (len(texts) != len(uploads) or not all(isinstance(text, str) for text in texts)):
            raise InputError(422, f"The form has {len(texts)} 'text' field(s) for {len(uploads)} image(s); give one text per image.")
        for upload, text in zip(uploads, texts):
            upload.text = text
    if not many and len(uploads) > 1:
        raise InputError(422, f"Send one file in {field!r}; use /predict_batch for several.")
    return uploads


@dataclass
class PreparedInput:
    """An input's encoded image and its pixel count, read from its header; nothing decoded yet."""

    data: bytes
    name: str
    pixels: int
    #: The input's `image_path`, echoed in its prediction.
    image_path: Optional[str] = None
    #: The input's text (a string, or an object by text column), for a model with text inputs.
    text: Optional[Union[str, Dict[str, str]]] = None


def prepare_input(raw: RawInput, settings: ServiceSettings) -> PreparedInput:
    """
    The encoded image of one upload or checked JSON input, with its size from its header, raising
    `InputError` if it is no image or is over `max_image_pixels`. Decodes no pixel.
    """
    image_path = None
    if isinstance(raw, Upload):
        data, name, text = raw.data, raw.filename, raw.text
    elif "image" in raw:
        try:
            data, name, text = decode_base64_image(raw["image"]), "'image'", raw.get("text")
        except BadInputError as error:
            raise InputError(400, str(error))
    else:
        text = raw.get("text")
        image_path, name = raw["image_path"], raw["image_path"]
        data = _read_file(resolve_image_path(image_path, settings.image_dir), name, settings)
    try:
        width, height = image_size(data, name, settings.max_image_pixels)
    except ImageLoadError as error:
        raise _refusal(name, error)
    return PreparedInput(data, name, width * height, image_path, text)


def decode_input(prepared: PreparedInput, settings: ServiceSettings) -> DecodedImage:
    """Decodes a prepared input, raising `InputError` if it is no usable image."""
    try:
        image = load_image(prepared.data, max_pixels=settings.max_image_pixels)
    except (ImageLoadError, ValueError, OSError) as error:
        raise _refusal(prepared.name, error)
    return DecodedImage(image, prepared.image_path, text=prepared.text)


def _read_file(path: Path, name: str, settings: ServiceSettings) -> bytes:
    """The bytes of an `image_path` file, refused when it is no regular file or over the upload cap."""
    try:
        return read_image_file(path, max_bytes=settings.max_upload_bytes)
    except ImageLoadError as error:
        # Say the client's own path, never where the image folder is on the server.
        error.reason = error.reason.replace(str(path), name)
        raise _refusal(name, error)


def check_text(decoded: PreparedInput, text_inputs: List[str], where: str) -> None:
    """Raises a 422 unless `decoded` has a text exactly when the model has text inputs."""
    if text_inputs and decoded.text is None:
        raise InputError(422, f"{where}: this model also reads text; give 'text' ({', '.join(text_inputs)}).")
    if not text_inputs and decoded.text is not None:
        raise InputError(422, f"{where}: this model reads images only; leave out 'text'.")
    if isinstance(decoded.text, str) and len(text_inputs) > 1:  # a form field holding a JSON object
        try:
            decoded.text = json.loads(decoded.text)
        except (json.JSONDecodeError, RecursionError):
            pass
    if len(text_inputs) > 1 and not (
        isinstance(decoded.text, dict)
        and sorted(decoded.text) == sorted(text_inputs)
        and all(isinstance(text, str) for text in decoded.text.values())
    ):
        raise InputError(422, f"{where}: 'text' must be an object with a string for each of {', '.join(text_inputs)}.")
    if len(text_inputs) == 1 and isinstance(decoded.text, dict) and list(decoded.text) != text_inputs:
        raise InputError(422, f"{where}: 'text' must be a string, or an object with key {text_inputs[0]!r}.")


def resolve_image_path(value: str, image_dir: Optional[Path]) -> Path:
    """The file an `image_path` names, which must lie inside `image_dir`."""
    if image_dir is None:
        raise InputError(
            403,
            "This server reads no files of its own: send the image itself, or start the server "
            "with --image-dir FOLDER to allow 'image_path' inside FOLDER.",
        )
    root = Path(image_dir).resolve()
    try:
        path = (root / value).resolve()
    except (OSError, ValueError) as error:
        raise InputError(400, f"'image_path' is not a usable path ({error}).")
    if not path.is_relative_to(root):
        raise InputError(
            403, f"{value} is outside the served image folder; give a path relative to it."
        )
    return path


def _refusal(name: str, error: Exception) -> InputError:
    category = getattr(error, "category", "unreadable")
    reason = getattr(error, "reason", str(error))
    status = {"too large": 413, "missing": 404}.get(category, 400)
    return InputError(status, f"{name}: {category} ({reason})")


def describe(raw: RawInput) -> JsonDict:
    """A short description of an input, for the error record of a batch."""
    if isinstance(raw, Upload):
        return {"filename": raw.filename}
    return {
        key: value if not isinstance(value, str) or len(value) <= 40 else f"{value[:40]}... ({len(value)} characters)"
        for key, value in raw.items()
    }
