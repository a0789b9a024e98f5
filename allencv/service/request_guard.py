from typing import Tuple

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

#: Methods that change nothing, which any page may send (a browser lets no page read the answer).
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class RequestGuard:
    """
    ASGI middleware refusing requests that a web page, not a client of the API, has made a browser
    send: a `Host` header other than the `allowed_hosts` (a page on a domain made to resolve to the
    server, "DNS rebinding") gets a 421, and a POST whose `Origin` is neither the server's own nor
    one of `allowed_origins` (a cross-site form or fetch) gets a 403. `"*"` in either allows all.
    """

    def __init__(self, app: ASGIApp, allowed_hosts: Tuple[str, ...], allowed_origins: Tuple[str, ...]) -> None:
        self.app = app
        self.allowed_hosts = {host.lower() for host in allowed_hosts}
        self.allowed_origins = {origin.lower().rstrip("/") for origin in allowed_origins}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}
        host = headers.get("host", "")
        if "*" not in self.allowed_hosts and host_name(host) not in self.allowed_hosts:
            message = (
                f"This server does not answer for the host {host[:100]!r}; it answers for "
                f"{', '.join(sorted(self.allowed_hosts))} (start it with --allowed-hosts to add one)."
            )
            await JSONResponse({"error": message}, status_code=421)(scope, receive, send)
            return
        if scope["method"] not in SAFE_METHODS and not self._origin_allowed(scope, headers, host):
            origin = headers.get("origin", headers.get("sec-fetch-site", ""))
            message = (
                f"Cross-origin requests from {origin[:100]!r} are refused; start the server with "
                "--allowed-origins ORIGIN to let pages of ORIGIN use it."
            )
            await JSONResponse({"error": message}, status_code=403)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _origin_allowed(self, scope: Scope, headers: dict, host: str) -> bool:
        origin = headers.get("origin")
        if origin is None:  # not sent by a browser's cross-origin request, unless it says so
            return headers.get("sec-fetch-site", "same-origin") in ("same-origin", "none")
        origin = origin.lower().rstrip("/")
        return "*" in self.allowed_origins or origin in self.allowed_origins or origin == (
            f"{scope.get('scheme', 'http')}://{host.lower()}"
        )


def host_name(host: str) -> str:
    """The name in a `Host` header, without its port: `[::1]:8000` gives `::1`."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host
