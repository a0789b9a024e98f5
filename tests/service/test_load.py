"""
`allennlp serve` under 200 concurrent requests on 127.0.0.1, good and hostile mixed: the decoded
pixels stay within the server's budgets, so its memory stays bounded (RSS read from /proc), no
request gets a 500, and every good request succeeds (retrying a 503 after its `Retry-After`, as a
client should). Then 300 clients that send their bodies too slowly are each answered 408 and
disconnected, and SIGTERM stops the server cleanly. Bounded: a fixed list of requests, each
retried at most `MAX_RETRIES` times.
"""
import asyncio
import io
import json
import socket
import sys

import httpx
import numpy
import PIL.Image
import pytest

from tests.service.conftest import png_bytes, serving
from tests.service.test_app import png_claiming_size

MAX_RETRIES = 60
BIG_SIDE = 2000  # a 4-megapixel image: 12 MB decoded, a few kB as a PNG
LIMITS = {
    "--max-image-pixels": 4_100_000,
    "--max-request-pixels": 8_200_000,
    "--max-pending-pixels": 16_400_000,
    "--body-timeout": 10,  # long enough for the 200 requests on a busy machine
}
SLOW_CLIENTS = 300
#: The RSS growth allowed: 4 bytes (a float copy) per pixel in flight, and 200 MB for the rest.
RSS_BOUND_BYTES = 4 * LIMITS["--max-pending-pixels"] + 200 * 2**20


def rss(pid: int, field: str) -> int:
    """`VmRSS` (now) or `VmHWM` (peak) of a process, in bytes."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise AssertionError(f"no {field} for {pid}")


def assert_slow_clients_are_cut_off(url: str) -> None:
    """`SLOW_CLIENTS` connections each send a tenth of a body, then wait: each gets a 408 and is closed."""
    host, port = url.rsplit("/", 1)[1].split(":")
    head = (
        f"POST /predict HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        "Content-Length: 1000\r\n\r\n" + "{" * 100
    ).encode()
    connections = []
    try:
        for _ in range(SLOW_CLIENTS):
            connection = socket.create_connection((host, int(port)), timeout=30)
            connection.sendall(head)
            connections.append(connection)
        for connection in connections:
            answer = b""
            while chunk := connection.recv(65536):  # b"" once the server has closed it
                answer += chunk
            assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
    finally:
        for connection in connections:
            connection.close()


@pytest.mark.slow  # a server subprocess under 200 concurrent requests
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_concurrent_hostile_requests_keep_memory_bounded_and_good_ones_succeed(
    tiny_archive, tmp_path, red_png, blue_png
):
    big = png_bytes(PIL.Image.fromarray(numpy.zeros((BIG_SIDE, BIG_SIDE, 3), numpy.uint8)))
    bomb = png_claiming_size(red_png, 100_000, 100_000)
    options = [str(value) for option in LIMITS.items() for value in option]
    requests = (
        [("good", "/predict", {"files": {"image": ("red.png", red_png)}}, {200})] * 50
        + [("good", "/predict", {"files": {"image": ("blue.png", blue_png)}}, {200})] * 50
        + [("big batch", "/predict_batch", {"files": [("images", ("b.png", big))] * 32}, {413})] * 25
        + [("big", "/predict", {"files": {"image": ("big.png", big)}}, {200, 503})] * 25
        + [("bomb", "/predict", {"files": {"image": ("bomb.png", bomb)}}, {413})] * 20
        + [("huge int", "/predict", {"content": b'{"image": ' + b"9" * 5000 + b"}",
                                     "headers": {"content-type": "application/json"}}, {400})] * 10
        + [("cross-origin", "/predict", {"files": {"image": ("red.png", red_png)},
                                         "headers": {"origin": "http://evil.example"}}, {403})] * 10
        + [("rebinding", "/predict", {"files": {"image": ("red.png", red_png)},
                                      "headers": {"host": "evil.example"}}, {421})] * 10
    )
    assert len(requests) == 200
    with serving(tiny_archive, tmp_path, *options) as (url, log_path, process):

        async def send(client, kind, path, kwargs, expected):
            for _ in range(MAX_RETRIES if kind == "good" else 1):
                response = await client.post(url + path, **kwargs)
                if response.status_code != 503 or kind != "good":
                    break
                await asyncio.sleep(float(response.headers["retry-after"]))
            assert response.status_code in expected, (kind, response.status_code, response.text[:300])
            if kind == "good":
                assert response.json()["label"] == kwargs["files"]["image"][0][:-4]
            return kind, response.status_code

        async def send_all():
            limits = httpx.Limits(max_connections=len(requests))
            async with httpx.AsyncClient(timeout=120, limits=limits) as client:
                return await asyncio.gather(*(send(client, *request) for request in requests))

        assert httpx.post(url + "/predict", files={"image": ("red.png", red_png)}).status_code == 200
        before = rss(process.pid, "VmRSS")
        statuses = asyncio.run(send_all())
        peak, after = rss(process.pid, "VmHWM"), rss(process.pid, "VmRSS")
        counts = {}
        for kind, status in statuses:
            counts[f"{kind} {status}"] = counts.get(f"{kind} {status}", 0) + 1
        figures = {"rss_before_mb": before >> 20, "rss_peak_mb": peak >> 20, "rss_after_mb": after >> 20}
        print(json.dumps({**figures, "responses": counts}))
        assert peak - before < RSS_BOUND_BYTES, figures
        assert httpx.get(url + "/health").status_code == 200
        assert_slow_clients_are_cut_off(url)
    assert process.returncode == 0 and "Traceback" not in log_path.read_text()  # SIGTERM: a clean exit
    assert "Stopped on SIGTERM." in log_path.read_text()
