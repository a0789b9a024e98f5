import httpx
import pytest
from allennlp.common.checks import ConfigurationError

from allencv.commands.serve import main
from allencv.service import ServiceSettings


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
