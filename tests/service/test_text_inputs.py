"""Serving a model with text inputs: `/info` names them, and every way of sending an image also takes its text."""
import base64
import json

import pytest
from fastapi.testclient import TestClient

from allencv.service import create_app


@pytest.fixture(scope="module")
def client(text_predictor):
    with TestClient(create_app(text_predictor), base_url="http://127.0.0.1") as client:
        yield client


def test_info_names_the_text_inputs(client, trained_predictor):
    assert client.get("/info").json()["text_inputs"] == ["caption"]
    with TestClient(create_app(trained_predictor), base_url="http://127.0.0.1") as image_only:
        assert image_only.get("/info").json()["text_inputs"] == []
        refused = image_only.post("/predict", json={"image": base64.b64encode(b"x").decode(), "text": "a"})
        assert refused.status_code in (400, 422)


def test_predict_with_text_by_upload_json_and_batch(client, text_predictor, red_png):
    expected = text_predictor.predict(red_png, "red circle")
    different = text_predictor.predict(red_png, "blue")
    assert expected["label_probs"] != pytest.approx(different["label_probs"], abs=1e-6)
    encoded = base64.b64encode(red_png).decode()
    responses = [
        client.post("/predict", files={"image": ("red.png", red_png, "image/png")}, data={"text": "red circle"}),
        client.post("/predict", json={"image": encoded, "text": "red circle"}),
        client.post("/predict", json={"image": encoded, "text": {"caption": "red circle"}}),
    ]
    for response in responses:
        assert response.status_code == 200, response.text
        assert response.json()["label_probs"] == pytest.approx(expected["label_probs"], abs=1e-5)
    batch = client.post("/predict_batch", json={"instances": [
        {"image": encoded, "text": "red circle"}, {"image": encoded}, {"image": encoded, "text": "blue"},
    ]}).json()
    assert batch[0]["label_probs"] == pytest.approx(expected["label_probs"], abs=1e-5)
    assert "give 'text'" in batch[1]["error"]
    assert batch[2]["label_probs"] == pytest.approx(different["label_probs"], abs=1e-5)


def test_missing_or_mistyped_text_is_refused(client, red_png):
    encoded = base64.b64encode(red_png).decode()
    for body, message in [
        ({"image": encoded}, "give 'text' (caption)"),
        ({"image": encoded, "text": 3}, "'text' must be a string"),
        ({"image": encoded, "text": {"title": "x"}}, "key 'caption'"),
    ]:
        response = client.post("/predict", content=json.dumps(body), headers={"content-type": "application/json"})
        assert response.status_code == 422 and message in response.json()["error"], response.text
    upload = client.post("/predict", files={"image": ("red.png", red_png, "image/png")})
    assert upload.status_code == 422 and "give 'text'" in upload.json()["error"]
