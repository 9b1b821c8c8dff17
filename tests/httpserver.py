"""A web server on 127.0.0.1 for the tests of fetching: routes defined by each test, every
request recorded (path and headers), nothing reaching outside the machine."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Seen:
    path: str
    headers: dict[str, str]


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    # Full control instead: called with the request handler.
    handler: Callable | None = None


class LocalServer:
    """``with LocalServer() as server: server.route("/a", body=b"...")``; ``server.url("/a")``."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):  # noqa: N802 - the stdlib's name
                with outer._lock:
                    outer.seen.append(Seen(self.path, {k.lower(): v for k, v in
                                                       self.headers.items()}))
                route = outer.routes.get(self.path)
                if route is None:
                    self._answer(404, b"not here", "text/plain", {})
                elif route.handler is not None:
                    route.handler(self)
                else:
                    self._answer(route.status, route.body, route.content_type, route.headers)

            def _answer(self, status, body, content_type, headers):
                self.send_response(status)
                if content_type:
                    self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LocalServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def route(self, path: str, body: bytes | str = b"", *, status: int = 200,
              content_type: str = "text/html; charset=utf-8", headers=None,
              handler: Callable | None = None) -> None:
        if isinstance(body, str):
            body = body.encode("utf-8")
        self.routes[path] = Route(status=status, body=body, content_type=content_type,
                                  headers=dict(headers or {}), handler=handler)

    def requests_for(self, path: str) -> list[Seen]:
        with self._lock:
            return [seen for seen in self.seen if seen.path == path]


def dripping(*, every: float = 0.3, total_bytes: int = 1000,
             content_type: str = "text/html") -> Callable:
    """A handler that sends its headers at once, then one byte every ``every`` seconds."""

    def handle(request: BaseHTTPRequestHandler) -> None:
        request.send_response(200)
        request.send_header("Content-Type", content_type)
        request.send_header("Content-Length", str(total_bytes))
        request.end_headers()
        request.wfile.flush()
        try:
            for _ in range(total_bytes):
                request.wfile.write(b"x")
                request.wfile.flush()
                time.sleep(every)
        except OSError:
            pass  # the client gave up, as it should

    return handle


def endless(*, content_type: str = "text/html") -> Callable:
    """A handler that streams without a Content-Length until the client hangs up."""

    def handle(request: BaseHTTPRequestHandler) -> None:
        request.send_response(200)
        request.send_header("Content-Type", content_type)
        request.send_header("Connection", "close")
        request.end_headers()
        chunk = b"<p>" + b"a" * 65536 + b"</p>"
        try:
            for _ in range(10_000):
                request.wfile.write(chunk)
        except OSError:
            pass
        request.close_connection = True

    return handle
