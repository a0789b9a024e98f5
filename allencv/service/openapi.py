"""
The OpenAPI description of the request bodies and responses, which the endpoints parse by hand
because one endpoint takes both multipart uploads and JSON.
"""

ERROR = {
    "type": "object",
    "properties": {"error": {"type": "string", "description": "What was wrong, and what to do."}},
    "required": ["error"],
}

JSON_INPUT = {
    "type": "object",
    "description": "Exactly one of `image` and `image_path`.",
    "properties": {
        "image": {
            "type": "string",
            "description": "The image file, base64-encoded (a data URL is fine).",
        },
        "image_path": {
            "type": "string",
            "description": "A file inside the server's --image-dir (refused with 403 without one).",
        },
        "text": {
            "anyOf": [{"type": "string"}, {"type": "object", "additionalProperties": {"type": "string"}}],
            "description": "The image's text, for a model with text inputs (`/info`'s `text_inputs`): "
            "a string, or an object by text input.",
        },
    },
    "additionalProperties": False,
}

PREDICTION = {
    "type": "object",
    "description": "The predictor's JSON, e.g. `label` and `label_probs`.",
}
ERROR_RECORD = {
    "type": "object",
    "properties": {"error": {"type": "string"}, "input": {"type": "object"}},
    "required": ["error", "input"],
}


def _body(json_schema: dict, file_field: str, many: bool) -> dict:
    file_schema = {"type": "string", "format": "binary"}
    return {
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            file_field: (
                                {"type": "array", "items": file_schema} if many else file_schema
                            )
                        },
                        "required": [file_field],
                    }
                },
                "application/json": {"schema": json_schema},
            },
        }
    }


def _errors(*codes: int) -> dict:
    reasons = {
        400: "Not an image, a corrupt image, bad base64 or a body that is not JSON.",
        403: "`image_path` without --image-dir, or outside it.",
        404: "`image_path` names no file.",
        413: "The body is over --max-upload-mb, or the image over --max-image-pixels.",
        415: "Neither multipart/form-data nor application/json.",
        422: "A missing, unknown or mistyped field, or too many images.",
        500: "The model failed on the input; the server keeps running.",
    }
    return {
        code: {"description": reasons[code], "content": {"application/json": {"schema": ERROR}}}
        for code in codes
    }


PREDICT_BODY = _body(JSON_INPUT, "image", many=False)
BATCH_BODY = _body(
    {
        "type": "object",
        "properties": {"instances": {"type": "array", "items": JSON_INPUT, "minItems": 1}},
        "required": ["instances"],
        "additionalProperties": False,
    },
    "images",
    many=True,
)

PREDICT_RESPONSES = {
    200: {
        "description": "The prediction.",
        "content": {"application/json": {"schema": PREDICTION}},
    },
    **_errors(400, 403, 404, 413, 415, 422, 500),
}
BATCH_RESPONSES = {
    200: {
        "description": "One prediction, or one error record, per image, in order.",
        "content": {
            "application/json": {
                "schema": {"type": "array", "items": {"anyOf": [PREDICTION, ERROR_RECORD]}}
            }
        },
    },
    **_errors(400, 413, 415, 422, 500),
}
HEALTH_RESPONSES = {200: {"content": {"application/json": {"schema": {"type": "object"}}}}}
INFO_RESPONSES = {
    200: {
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "model_type": {"type": "string"},
                        "predictor": {"type": "string"},
                        "labels": {"type": "array", "items": {"type": "string"}},
                        "text_inputs": {"type": "array", "items": {"type": "string"}},
                        "input_size": {
                            "anyOf": [
                                {"type": "array", "items": {"type": "integer"}},
                                {"type": "null"},
                            ]
                        },
                    },
                    "required": ["model_type", "predictor", "labels", "input_size"],
                }
            }
        }
    }
}
