"""
The OpenAPI description of the request bodies and responses, which the endpoints parse by hand
because one endpoint takes both multipart uploads and JSON, and the `/docs` page.
"""
import html

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
        403: "`image_path` without --image-dir, or outside it; or a POST from another origin.",
        404: "`image_path` names no file.",
        408: "The body did not arrive within --body-timeout seconds.",
        413: "The body is over --max-upload-mb, an image over --max-image-pixels, or the "
        "request's images over --max-request-pixels.",
        415: "Neither multipart/form-data nor application/json.",
        422: "A missing, unknown or mistyped field, or too many images.",
        421: "A Host header the server does not answer for (see --allowed-hosts).",
        500: "The model failed on the input; the server keeps running.",
        503: "The images in flight are at --max-pending-pixels; retry after `Retry-After` seconds.",
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
    **_errors(400, 403, 404, 408, 413, 415, 421, 422, 500, 503),
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
    **_errors(400, 403, 408, 413, 415, 421, 422, 500, 503),
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


def docs_page(schema: dict) -> str:
    """
    The `/docs` page: every operation of `schema` with its description, body types and responses,
    as plain HTML that loads nothing (FastAPI's own page fetches Swagger UI from a CDN, so it
    breaks offline and lets a third party run script on the server's origin).
    """
    rows = []
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            bodies = ", ".join(operation.get("requestBody", {}).get("content", {})) or "none"
            responses = ", ".join(
                f"{code} {html.escape(response.get('description', ''))}"
                for code, response in operation.get("responses", {}).items()
            )
            rows.append(
                f"<h2>{method.upper()} {html.escape(path)}</h2>"
                f"<p>{html.escape(operation.get('description', operation.get('summary', '')))}</p>"
                f"<p>Body: {html.escape(bodies)}</p><p>Responses: {responses}</p>"
            )
    title = html.escape(schema.get("info", {}).get("title", "API"))
    return (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{title}</title>'
        '<link rel="stylesheet" href="static/style.css"></head><body>'
        f'<h1>{title}</h1><p>The full schema: <a href="openapi.json">/openapi.json</a>.</p>'
        + "".join(rows)
        + "</body></html>"
    )
