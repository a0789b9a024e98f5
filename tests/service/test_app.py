import asyncio
import base64
import struct
import zlib
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from fastapi.testclient import TestClient

from allencv.predictors import ImageClassifierPredictor
from allencv.service import ServiceSettings, create_app
from tests.conftest import colour_image
from tests.service.conftest import png_bytes


def client_for(predictor, **settings) -> TestClient:
    return TestClient(create_app(predictor, ServiceSettings(**settings)), base_url="http://127.0.0.1")


@pytest.fixture(scope="module")
def client(trained_predictor):
    with client_for(trained_predictor) as client:
        yield client


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_health_and_info(client):
    assert client.get("/health").json() == {"status": "ok"}
    info = client.get("/info").json()
    assert (
        info["model_type"] == "basic_image_classifier" and info["predictor"] == "image_classifier"
    )
    assert info["labels"] == ["blue", "red"] and info["input_size"] == [8, 8]
    assert info["limits"]["max_batch_size"] == 32 and info["image_path_allowed"] is False


def test_the_page_and_its_assets_are_served_without_any_outside_url(client):
    page = client.get("/")
    assert page.status_code == 200 and 'id="file-input"' in page.text
    for asset in ("app.js", "renderers.js", "explanations.js", "style.css"):
        response = client.get(f"/static/{asset}")
        assert response.status_code == 200, asset
        assert "://" not in response.text, f"{asset} must not load anything from outside the app"
    assert "://" not in page.text


def test_predict_by_upload_and_by_base64_gives_the_predictors_json(
    client, trained_predictor, red_png, blue_png
):
    expected = trained_predictor.predict(red_png)
    by_upload = client.post("/predict", files={"image": ("red.png", red_png, "image/png")})
    by_base64 = client.post("/predict", json={"image": b64(red_png)})
    by_data_url = client.post("/predict", json={"image": "data:image/png;base64," + b64(red_png)})
    line_wrapped = client.post("/predict", json={"image": base64.encodebytes(red_png).decode()})
    for response in (by_upload, by_base64, by_data_url, line_wrapped):
        assert response.status_code == 200, response.text
        assert response.json()["label"] == "red" == expected["label"]
        assert response.json()["label_probs"] == pytest.approx(expected["label_probs"], abs=1e-5)
        assert "image_path" not in response.json()
    assert client.post("/predict", files={"image": ("b.png", blue_png)}).json()["label"] == "blue"


def test_predict_batch_keeps_order_and_reports_a_bad_image_in_its_place(client, red_png, blue_png):
    response = client.post(
        "/predict_batch",
        json={
            "instances": [
                {"image": b64(blue_png)},
                {"image": "bm90IGFuIGltYWdl"},
                {"image": b64(red_png)},
            ]
        },
    )
    assert response.status_code == 200
    blue, bad, red = response.json()
    assert (blue["label"], red["label"]) == ("blue", "red")
    assert "not an image" in bad["error"] and bad["input"] == {"image": "bm90IGFuIGltYWdl"}
    uploads = [
        ("images", ("r.png", red_png)),
        ("images", ("x.png", b"junk")),
        ("images", ("b.png", blue_png)),
    ]
    red, bad, blue = client.post("/predict_batch", files=uploads).json()
    assert (red["label"], blue["label"]) == ("red", "blue")
    assert bad == {
        "error": "x.png: not an image (its contents are not a format PIL can read)",
        "input": {"filename": "x.png"},
    }


def truncated(png: bytes) -> bytes:
    return png[: len(png) // 2]


@pytest.mark.parametrize(
    "kwargs, status, message",
    [
        (
            {"files": {"image": ("notes.txt", b"hello", "text/plain")}},
            400,
            "notes.txt: not an image",
        ),
        ({"files": {"image": ("half.png", "TRUNCATED", "image/png")}}, 400, "half.png: "),
        ({"json": {"image": "not base64!"}}, 400, "'image' is not valid base64"),
        ({"json": {"image": 12}}, 422, "The body: 'image' must be a string, not int"),
        ({"json": {}}, 422, "The body needs exactly one of 'image'"),
        (
            {"json": {"image": "AAAA", "image_path": "a.png"}},
            422,
            "The body needs exactly one of 'image'",
        ),
        ({"json": {"imag": "AAAA"}}, 422, "The body has unknown key(s) ['imag']"),
        ({"json": ["AAAA"]}, 422, "The body must be a JSON object"),
        (
            {"content": b"{not json", "headers": {"content-type": "application/json"}},
            400,
            "not valid JSON",
        ),
        (
            {"content": b"[" * 100_000, "headers": {"content-type": "application/json"}},
            400,
            "RecursionError",
        ),
        (
            {"content": b'{"image": ' + b"7" * 4301 + b"}", "headers": {"content-type": "application/json"}},
            400,
            "ValueError: Exceeds the limit (4300 digits)",
        ),
        (
            {"content": b'{"image": "\xff"}', "headers": {"content-type": "application/json"}},
            400,
            "UnicodeDecodeError",
        ),
        ({"files": {"picture": ("red.png", b"x")}}, 422, "no 'image' field"),
        ({"data": {"image": "text"}, "files": {"other": ("a", b"x")}}, 422, "must be a file"),
        (
            {"content": b"data", "headers": {"content-type": "image/png"}},
            415,
            "Unsupported Content-Type 'image/png'",
        ),
        ({"content": b"data"}, 415, "Unsupported Content-Type '(none)'"),
    ],
)
def test_bad_inputs_get_a_4xx_with_a_json_message(client, red_png, kwargs, status, message):
    if kwargs.get("files", {}).get("image", (None, None))[1] == "TRUNCATED":
        kwargs = {"files": {"image": ("half.png", truncated(red_png), "image/png")}}
    response = client.post("/predict", **kwargs)
    assert response.status_code == status, response.text
    assert message in response.json()["error"]


@pytest.mark.parametrize(
    "body, message",
    [
        ({"instances": []}, "The batch is empty"),
        ({"instances": [{"image": "AAAA"}] * 33}, "at most 32 per request"),
        ({"images": []}, '{"instances": [...]}'),
        ({"instances": [], "extra": 1}, "Unknown key(s) ['extra']"),
        ({"instances": [{"image": "AAAA"}, [None]]}, "instances[1] must be a JSON object"),
        ({"instances": [{"image": None}]}, "instances[0]: 'image' must be a string, not NoneType"),
    ],
)
def test_bad_batches_get_a_422(client, body, message):
    response = client.post("/predict_batch", json=body)
    assert response.status_code == 422 and message in response.json()["error"]


def test_unknown_routes_and_methods_get_json_errors(client):
    assert client.get("/nowhere").json() == {"error": "Not Found"}
    assert client.get("/predict").status_code == 405 and "error" in client.get("/predict").json()


def test_the_upload_size_is_capped_whether_or_not_the_length_is_declared(
    trained_predictor, red_png
):
    with client_for(trained_predictor, max_upload_bytes=2000) as client:
        big = b"\0" * 5000
        declared = client.post("/predict", files={"image": ("big.png", big)})
        chunked = client.post(
            "/predict",
            content=iter([b'{"image": "', b"A" * 1500, b"A" * 1500, b'"}']),
            headers={"content-type": "application/json"},
        )
        for response in (declared, chunked):
            assert response.status_code == 413
            assert "over the server's limit of 2000 bytes" in response.json()["error"]
        assert (
            "transfer-encoding" not in declared.request.headers
            and chunked.request.headers["transfer-encoding"] == "chunked"
        )
        assert client.post("/predict", files={"image": ("red.png", red_png)}).status_code == 200


def png_claiming_size(png: bytes, width: int, height: int) -> bytes:
    """`png` with its header's size replaced (and its checksum fixed): a decompression bomb's header."""
    header = b"IHDR" + struct.pack(">II", width, height) + png[24:29]
    return png[:12] + header + struct.pack(">I", zlib.crc32(header)) + png[33:]


def test_a_decompression_bomb_is_refused_before_it_is_decoded(client, trained_predictor, red_png):
    over_the_limit = png_claiming_size(red_png, 10_000, 10_000)
    response = client.post("/predict", files={"image": ("big.png", over_the_limit)})
    assert response.status_code == 413
    assert (
        "big.png: too large (10000x10000 pixels is over the limit of 40000000"
        in response.json()["error"]
    )
    bomb = png_claiming_size(red_png, 100_000, 100_000)
    response = client.post("/predict", files={"image": ("bomb.png", bomb)})
    assert response.status_code == 413  # citing the server's limit, not PIL's own
    assert "bomb.png: too large (100000x100000 pixels is over the limit of 40000000" in response.json()["error"]
    with client_for(trained_predictor, max_image_pixels=100) as small:
        response = small.post("/predict", json={"image": b64(red_png)})
        assert (
            response.status_code == 413
            and "16x16 pixels is over the limit of 100" in response.json()["error"]
        )


def test_image_path_is_read_only_inside_the_image_dir(trained_predictor, tmp_path, red_png):
    served = tmp_path / "served"
    (served / "sub").mkdir(parents=True)
    (served / "sub" / "red.png").write_bytes(red_png)
    (tmp_path / "secret.png").write_bytes(red_png)
    (served / "link.png").symlink_to(tmp_path / "secret.png")
    with client_for(trained_predictor) as client:
        response = client.post("/predict", json={"image_path": "sub/red.png"})
        assert response.status_code == 403 and "--image-dir" in response.json()["error"]
    with client_for(trained_predictor, image_dir=served) as client:
        response = client.post("/predict", json={"image_path": "sub/red.png"})
        assert response.status_code == 200 and response.json()["image_path"] == "sub/red.png"
        assert response.json()["label"] == "red"
        for outside in ("../secret.png", str(tmp_path / "secret.png"), "link.png"):
            response = client.post("/predict", json={"image_path": outside})
            assert (
                response.status_code == 403
                and "outside the served image folder" in response.json()["error"]
            )
            assert str(served) not in response.json()["error"]  # where the folder is stays secret
        response = client.post("/predict", json={"image_path": "sub/" + "x" * 300 + ".png"})
        assert response.status_code == 400 and str(served) not in response.json()["error"]
        response = client.post("/predict", json={"image_path": "sub/none.png"})
        assert response.status_code == 404 and "missing" in response.json()["error"]
        response = client.post("/predict", json={"image_path": "bad\0name"})
        assert response.status_code == 400


class FailsOnBlackImages(ImageClassifierPredictor):
    """Fails a batch holding an all-black image, as a model with a bug would."""

    def predict_batch(self, images):
        if any(int(image.max()) == 0 for image in images):
            raise RuntimeError("black images break this model")
        return super().predict_batch(images)


def test_a_model_error_fails_only_its_request_and_the_server_keeps_running(
    trained_predictor, red_png, blue_png
):
    predictor = FailsOnBlackImages(trained_predictor.model, trained_predictor.dataset_reader)
    black = png_bytes(colour_image((0, 0, 0), size=8, seed=0).point(lambda value: 0))
    with client_for(predictor) as client:
        bodies = [black if n % 4 == 0 else (red_png if n % 2 else blue_png) for n in range(16)]
        with ThreadPoolExecutor(8) as pool:
            responses = list(
                pool.map(
                    lambda body: client.post("/predict", files={"image": ("x.png", body)}), bodies
                )
            )
        for body, response in zip(bodies, responses):
            if body is black:
                assert response.status_code == 500
                assert response.json() == {
                    "error": "The model failed on this input: RuntimeError: black images break this model"
                }
            else:
                assert response.status_code == 200
                assert response.json()["label"] == ("red" if body is red_png else "blue")
        assert client.get("/health").status_code == 200


def test_concurrent_requests_each_get_their_own_result(client, trained_predictor):
    images = [
        png_bytes(colour_image((n * 8, 255 - n * 8, (n * 37) % 256), size=12, seed=n))
        for n in range(24)
    ]
    expected = [trained_predictor.predict(image)["probs"] for image in images]

    def predict(image):
        return client.post("/predict", json={"image": b64(image)}).json()["probs"]

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(predict, images))
    for got, want in zip(results, expected):
        assert got == pytest.approx(want, abs=1e-5)


def test_the_openapi_schema_documents_both_ways_to_send_an_image(client):
    schema = client.get("/openapi.json").json()
    for path in ("/predict", "/predict_batch"):
        content = schema["paths"][path]["post"]["requestBody"]["content"]
        assert set(content) == {"multipart/form-data", "application/json"}
    assert {"/health", "/info"} <= set(schema["paths"])


def test_a_request_over_its_pixel_budget_gets_a_413(trained_predictor, red_png):
    with client_for(trained_predictor, max_request_pixels=300) as client:
        assert client.post("/predict", files={"image": ("red.png", red_png)}).status_code == 200
        response = client.post("/predict_batch", files=[("images", ("red.png", red_png))] * 2)
        assert response.status_code == 413
        assert "hold 512 pixels in all, over the server's limit of 300 per request" in response.json()["error"]


def test_other_hosts_and_cross_origin_posts_are_refused(trained_predictor, red_png):
    upload = {"files": {"image": ("red.png", red_png)}}
    with client_for(trained_predictor) as client:
        for host in ("127.0.0.1:8000", "localhost", "[::1]:8000"):
            assert client.get("/health", headers={"host": host}).status_code == 200, host
        response = client.get("/health", headers={"host": "attacker.example:8000"})
        assert response.status_code == 421 and "'attacker.example:8000'" in response.json()["error"]
        assert client.post("/predict", **upload, headers={"origin": "http://127.0.0.1"}).status_code == 200
        for headers in ({"origin": "http://evil.example"}, {"origin": "null"}, {"sec-fetch-site": "cross-site"}):
            response = client.post("/predict", **upload, headers=headers)
            assert response.status_code == 403 and "--allowed-origins" in response.json()["error"], headers
        assert client.get("/info", headers={"origin": "http://evil.example"}).status_code == 200
    allowed = {"allowed_hosts": ("models.lan",), "allowed_origins": ("http://app.lan:3000",)}
    with client_for(trained_predictor, **allowed) as client:
        headers = {"host": "models.lan", "origin": "http://app.lan:3000"}
        assert client.post("/predict", **upload, headers=headers).status_code == 200
        assert client.get("/health").status_code == 421  # 127.0.0.1 is no longer allowed


def test_docs_are_served_without_any_outside_url(client):
    page = client.get("/docs")
    assert page.status_code == 200 and "POST /predict_batch" in page.text
    assert "://" not in page.text and "<script" not in page.text
    assert client.get("/redoc").status_code == 404


def test_a_body_slower_than_the_timeout_gets_a_408(trained_predictor):
    async def slow_body():
        yield b'{"image": "'
        await asyncio.sleep(3)
        yield b'AAAA"}'

    async def send():
        app = create_app(trained_predictor, ServiceSettings(body_timeout_s=0.5))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            return await client.post(
                "/predict", content=slow_body(), headers={"content-type": "application/json"}
            )

    response = asyncio.run(send())
    assert response.status_code == 408 and "within 0.5 s" in response.json()["error"]
