"""
The HTTP API and web page of a served model. `create_app(predictor)` returns a FastAPI app; the
`serve` command (`allencv/commands/serve.py`) loads an archive and runs it with uvicorn.
"""

import asyncio
import logging
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Dict, List

from allennlp.common.util import JsonDict
from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from allencv.predictors.image_predictor import ImagePredictor
from allencv.service import openapi
from allencv.service.batcher import PredictionBatcher
from allencv.service.body_limit import BodySizeLimit
from allencv.service.inputs import (
    DecodedImage,
    InputError,
    PreparedInput,
    check_text,
    RawInput,
    decode_input,
    describe,
    prepare_input,
    read_inputs,
)
from allencv.service.pixel_budget import PixelBudget
from allencv.service.request_guard import RequestGuard
from allencv.service.model_info import describe_model
from allencv.service.settings import ServiceSettings
from allencv.version import VERSION

logger = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"


class ModelError(RuntimeError):
    """The model failed on an input the API accepted."""


def create_app(predictor: ImagePredictor, settings: ServiceSettings = ServiceSettings()) -> FastAPI:
    """
    An app serving `predictor`:

    - `POST /predict`: one image, as a multipart upload (field `image`) or JSON (`{"image":
      <base64>}`, or `{"image_path": ...}` when `settings.image_dir` allows it); returns the
      predictor's JSON.
    - `POST /predict_batch`: several images (multipart field `images`, or JSON `{"instances":
      [...]}`); returns a list with one prediction, or one `{"error", "input"}` record, per image.
    - A model with text inputs (`/info`'s `text_inputs`) also takes each image's `text`: a
      `"text"` key in JSON (a string, or an object by text column) or a multipart `text` field.
    - `GET /health`, `GET /info` (model type, labels, input size, text inputs, limits), `GET /`
      (the web page) and `GET /docs` (a page describing the API, loading nothing from outside).

    Refused inputs get a 4xx and a model failure a 500, each with `{"error": message}`.
    """
    batcher = PredictionBatcher(predictor, settings.max_batch_size)
    budget = PixelBudget(settings.max_pending_pixels)
    info = describe_model(predictor, settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        await run_in_threadpool(batcher.close)

    app = FastAPI(
        title=f"AllenCV: {info['model_type']}",
        version=VERSION,
        description="Predictions of a trained AllenCV model. The web page is at `/`.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.add_middleware(
        BodySizeLimit, max_bytes=settings.max_upload_bytes, timeout_s=settings.body_timeout_s
    )
    app.add_middleware(
        RequestGuard, allowed_hosts=settings.allowed_hosts, allowed_origins=settings.allowed_origins
    )
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.exception_handler(InputError)
    async def refuse_input(request: Request, error: InputError) -> JSONResponse:
        return JSONResponse({"error": str(error)}, status_code=error.status_code, headers=error.headers)

    @app.exception_handler(ModelError)
    async def report_model_error(request: Request, error: ModelError) -> JSONResponse:
        return JSONResponse({"error": str(error)}, status_code=500)

    @app.exception_handler(HTTPException)
    async def report_http_error(request: Request, error: HTTPException) -> JSONResponse:
        return JSONResponse(
            {"error": str(error.detail)}, status_code=error.status_code, headers=error.headers
        )

    @app.exception_handler(Exception)
    async def report_unexpected_error(request: Request, error: Exception) -> JSONResponse:
        return JSONResponse(
            {"error": f"Internal error: {type(error).__name__}: {error}"}, status_code=500
        )

    async def predict_images(images: List[DecodedImage]) -> List[JsonDict]:
        try:
            texts = [decoded.text for decoded in images] if info["text_inputs"] else None
            predictions = await asyncio.wrap_future(
                batcher.submit([decoded.image for decoded in images], texts)
            )
        except Exception as error:
            raise ModelError(
                f"The model failed on this input: {type(error).__name__}: {error}"
            ) from error
        for decoded, prediction in zip(images, predictions):
            if decoded.image_path is not None:
                prediction["image_path"] = decoded.image_path
        return predictions

    @app.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return HTMLResponse(openapi.docs_page(app.openapi()))

    @app.get("/health", responses=openapi.HEALTH_RESPONSES)
    async def health() -> JsonDict:
        """Whether the server is up; the model is loaded before it starts listening."""
        return {"status": "ok"}

    @app.get("/info", responses=openapi.INFO_RESPONSES)
    async def model_info() -> JsonDict:
        """The model type and predictor, its labels, its input size and the server's limits."""
        return info

    async def decode_and_predict(inputs: List[RawInput], many: bool) -> List[JsonDict]:
        """
        The predictions on `inputs`, within the request's and the server's pixel budgets (413 and
        503 over them). A bad input raises its `InputError`, or with `many` gets an error record in
        its place.
        """
        outputs: List[JsonDict] = [{} for _ in inputs]
        prepared: Dict[int, PreparedInput] = {}
        for position, raw in enumerate(inputs):
            try:
                item = await run_in_threadpool(prepare_input, raw, settings)
                check_text(item, info["text_inputs"], f"Input {position}" if many else "The input")
                prepared[position] = item
            except InputError as error:
                if not many:
                    raise
                outputs[position] = {"error": str(error), "input": describe(raw)}
        pixels = sum(item.pixels for item in prepared.values())
        if pixels > settings.max_request_pixels:
            raise InputError(
                413,
                f"The request's images hold {pixels} pixels in all, over the server's limit of "
                f"{settings.max_request_pixels} per request; send fewer or smaller images.",
            )
        with budget.reserve(pixels):
            decoded: Dict[int, DecodedImage] = {}
            for position, item in prepared.items():
                try:
                    decoded[position] = await run_in_threadpool(decode_input, item, settings)
                except InputError as error:
                    if not many:
                        raise
                    outputs[position] = {"error": str(error), "input": describe(inputs[position])}
            if decoded:
                for position, prediction in zip(decoded, await predict_images(list(decoded.values()))):
                    outputs[position] = prediction
            decoded.clear()  # the pixels go before the budget is given back
        return outputs

    @app.post("/predict", openapi_extra=openapi.PREDICT_BODY, responses=openapi.PREDICT_RESPONSES)
    async def predict(request: Request) -> JSONResponse:
        """Predicts on one image: the predictor's JSON."""
        inputs = await read_inputs(request, many=False, max_items=1)
        return JSONResponse((await decode_and_predict(inputs, many=False))[0])

    @app.post("/predict_batch", openapi_extra=openapi.BATCH_BODY, responses=openapi.BATCH_RESPONSES)
    async def predict_batch(request: Request) -> JSONResponse:
        """
        Predicts on several images in one batch: a list with the predictor's JSON for each image,
        or `{"error": ..., "input": ...}` in place of an image that could not be used.
        """
        inputs = await read_inputs(request, many=True, max_items=settings.max_batch_size)
        return JSONResponse(await decode_and_predict(inputs, many=True))

    return app
