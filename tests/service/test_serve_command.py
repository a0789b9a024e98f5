import socket

import httpx
import pytest
from allennlp.common.checks import ConfigurationError

from allencv.commands.serve import main
from allencv.service import ServiceSettings


@pytest.mark.slow  # an allennlp serve subprocess
def test_allennlp_serve_serves_the_archive_on_loopback(served, red_png):
    url, log_path = served
    assert f"Uvicorn running on {url}" in log_path.read_text()
    assert httpx.get(f"{url}/info").json()["labels"] == ["blue", "red"]
    response = httpx.post(f"{url}/predict", files={"image": ("red.png", red_png, "image/png")})
    assert response.status_code == 200 and response.json()["label"] == "red"


def test_a_missing_archive_or_image_dir_fails_before_loading(tmp_path):
    with pytest.raises(ConfigurationError, match="The archive /no/model.tar.gz does not exist"):
        main(["/no/model.tar.gz"])
    with pytest.raises(
        ConfigurationError, match=f"The image folder {tmp_path / 'nope'} does not exist"
    ):
        main([str(tmp_path / "model.tar.gz"), "--image-dir", str(tmp_path / "nope")])
    with pytest.raises(ConfigurationError, match="max_batch_size must be at least 1"):
        ServiceSettings(max_batch_size=0)
    with pytest.raises(ConfigurationError, match=r"max_request_pixels \(10\) is over max_pending_pixels \(5\)"):
        ServiceSettings(max_request_pixels=10, max_pending_pixels=5)


@pytest.mark.parametrize(
    "option, value, message",
    [
        ("--max-upload-mb", "nan", "argument --max-upload-mb: nan is not a finite number above 0"),
        ("--max-upload-mb", "inf", "argument --max-upload-mb: inf is not a finite number above 0"),
        ("--body-timeout", "-1", "argument --body-timeout: -1 is not a finite number above 0"),
        ("--port", "99999", "argument --port: 99999 is not a port number; give 0 to 65535"),
        ("--port", "http", "argument --port: 'http' is not a port number"),
    ],
)
def test_bad_numbers_are_refused_by_the_parser_without_a_traceback(capsys, option, value, message):
    with pytest.raises(SystemExit) as info:
        main(["/no/model.tar.gz", option, value])
    assert info.value.code == 2 and message in capsys.readouterr().err


def test_a_port_in_use_fails_before_the_model_loads(tmp_path):
    not_an_archive = tmp_path / "model.tar.gz"
    not_an_archive.write_bytes(b"loading this would fail")
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        with pytest.raises(ConfigurationError, match=f"Cannot listen on 127.0.0.1:{port} "):
            main([str(not_an_archive), "--port", str(port)])


def test_predictor_args_must_be_a_json_object_and_fail_before_loading(tmp_path):
    (tmp_path / "model.tar.gz").write_bytes(b"")  # never opened: the arguments fail first
    with pytest.raises(ConfigurationError, match="--predictor-args is not JSON"):
        main([str(tmp_path / "model.tar.gz"), "--port", "0", "--predictor-args", "{explain: true}"])
    with pytest.raises(ConfigurationError, match="--predictor-args must be a JSON object"):
        main([str(tmp_path / "model.tar.gz"), "--port", "0", "--predictor-args", "[true]"])
