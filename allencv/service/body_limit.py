import asyncio

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodySizeLimit:
    """
    ASGI middleware that refuses a request body over `max_bytes` with a 413: at once when its
    `Content-Length` says so, else as soon as the bytes received pass the limit (a chunked upload
    is never read further). A body still incomplete `timeout_s` seconds after the request's
    headers gets a 408, and the connection is closed, so slow clients cannot hold connections.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, timeout_s: float) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"").decode("latin-1")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await JSONResponse({"error": self._message()}, status_code=413)(scope, receive, send)
            return
        received = 0
        deadline = asyncio.get_running_loop().time() + self.timeout_s

        async def limited_receive() -> Message:
            nonlocal received
            try:
                message = await asyncio.wait_for(receive(), deadline - asyncio.get_running_loop().time())
            except asyncio.TimeoutError:
                raise HTTPException(
                    408,
                    f"The request body did not arrive within {self.timeout_s:g} s; send it faster, "
                    "or start the server with a larger --body-timeout.",
                    headers={"Connection": "close"},
                )
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise HTTPException(413, self._message())
            return message

        await self.app(scope, limited_receive, send)

    def _message(self) -> str:
        return (
            f"The request body is over the server's limit of {self.max_bytes} bytes; send a "
            "smaller image, or start the server with a larger --max-upload-mb."
        )
