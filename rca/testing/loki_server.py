"""A loopback stand-in for Loki's push and query API, for tests.

It stores what ``POST /loki/api/v1/push`` receives (JSON body: ``streams``, each
with ``stream`` labels and ``values`` of ``[nanoseconds, line]``) and serves
``GET /loki/api/v1/query_range`` for a plain label selector such as
``{job="fleet-install"}`` with the documented ``streams`` result shape. It binds to
127.0.0.1 on a free port and records every request for assertions.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

_MATCHER = re.compile(r'(\w+)\s*=\s*"((?:[^"\\]|\\.)*)"')


@dataclass
class PushedStream:
    """One stream as pushed: its labels and its ``[nanoseconds, line]`` values."""

    labels: dict[str, str]
    values: list[list[str]] = field(default_factory=list)


class FakeLoki:
    """Start with ``with FakeLoki() as loki:``; `loki.url` is its base URL."""

    def __init__(self) -> None:
        self.streams: list[PushedStream] = []
        self.requests: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> FakeLoki:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def push(self, body: dict[str, Any]) -> None:
        with self._lock:
            for stream in body.get("streams", []):
                labels = {str(key): str(value) for key, value in stream["stream"].items()}
                values = [[str(pair[0]), str(pair[1])] for pair in stream["values"]]
                self.streams.append(PushedStream(labels, values))

    def query(self, selector: str) -> dict[str, Any]:
        selected = dict(_MATCHER.findall(selector))
        with self._lock:
            result = [{"stream": stream.labels, "values": stream.values}
                      for stream in self.streams
                      if all(stream.labels.get(key) == value for key, value in selected.items())]
        return {"status": "success",
                "data": {"resultType": "streams", "result": result, "stats": {}}}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        loki = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                """Keep test output quiet."""

            def do_POST(self) -> None:
                loki.requests.append(("POST", self.path))
                if urlsplit(self.path).path != "/loki/api/v1/push":
                    self._reply(404, {"message": "not found"})
                    return
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    loki.push(json.loads(self.rfile.read(length)))
                except (ValueError, KeyError, TypeError) as error:
                    self._reply(400, {"message": f"invalid push body: {error}"})
                    return
                self.send_response(204)
                self.end_headers()

            def do_GET(self) -> None:
                loki.requests.append(("GET", self.path))
                parts = urlsplit(self.path)
                if parts.path != "/loki/api/v1/query_range":
                    self._reply(404, {"message": "not found"})
                    return
                query = parse_qs(parts.query).get("query", [""])[0]
                self._reply(200, loki.query(query))

            def _reply(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler
