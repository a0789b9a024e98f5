"""
The HTTP API and web page of a served model. `create_app(predictor)` returns a FastAPI app; the
`serve` command (`allencv/commands/serve.py`) loads an archive and runs it with uvicorn.
"""

import asyncio
import logging
from contextlib import asynccontextmanager
from pathlib import Path
from typing import List

from allennlp.common.util import JsonDict
from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from allencv.predictors.image_predictor import ImagePredictor
from allencv.service import openapi
from allencv.service.batcher import PredictionBatcher
from allencv.service.body_limit import BodySizeLimit
from allencv.service.inputs import DecodedImage, InputError, check_text, decode_input, describe, read_inputs
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
    - `GET /health`, `GET /info` (model type, labels, input size, text inputs, limits), `GET /` (the web page)
      and `GET /docs` (the OpenAPI page).

    Refused inputs get a 4xx and a model failure a 500, each with `{"error": message}`.
    """
    batcher = PredictionBatcher(predictor, settings.max_batch_size)
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
    )
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_upload_bytes)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.exception_handler(InputError)
    async def refuse_input(request: Request, error: InputError) -> JSONResponse:
        return JSONResponse({"error": str(error)}, status_code=error.status_code)

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

    @app.get("/health", responses=openapi.HEALTH_RESPONSES)
    async def health() -> JsonDict:
        """Whether the server is up; the model is loaded before it starts listening."""
        return {"status": "ok"}

    @app.get("/info", responses=openapi.INFO_RESPONSES)
    async def model_info() -> JsonDict:
        """The model type and predictor, its labels, its input size and the server's limits."""
        return info

    @app.post("/predict", openapi_extra=openapi.PREDICT_BODY, responses=openapi.PREDICT_RESPONSES)
    async def predict(request: Request) -> JSONResponse:
        """Predicts on one image: the predictor's JSON."""
        raw = (await read_inputs(request, many=False, max_items=1))[0]
        decoded = await run_in_threadpool(decode_input, raw, settings)
        check_text(decoded, info["text_inputs"], "The input")
        return JSONResponse((await predict_images([decoded]))[0])

    @app.post("/predict_batch", openapi_extra=openapi.BATCH_BODY, responses=openapi.BATCH_RESPONSES)
    async def predict_batch(request: Request) -> JSONResponse:
        """
        Predicts on several images in one batch: a list with the predictor's JSON for each image,
        or `{"error": ..., "input": ...}` in place of an image that could not be used.
        """
        inputs = await read_inputs(request, many=True, max_items=settings.max_batch_size)
        outputs: List[JsonDict] = [{} for _ in inputs]
        decoded: List[DecodedImage] = []
        positions: List[int] = []
        for position, raw in enumerate(inputs):
            try:
                decoded_input = await run_in_threadpool(decode_input, raw, settings)
                check_text(decoded_input, info["text_inputs"], f"Input {position}")
                decoded.append(decoded_input)
                positions.append(position)
            except InputError as error:
                outputs[position] = {"error": str(error), "input": describe(raw)}
        if decoded:
            for position, prediction in zip(positions, await predict_images(decoded)):
                outputs[position] = prediction
        return JSONResponse(outputs)

    return app
