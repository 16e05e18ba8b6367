"""The Elasticsearch source retries, warns about partial results and explains failures."""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from rca.errors import SourceError
from rca.sources.elasticsearch import ElasticsearchSource, EsResult, EsSettings
from rca.testing.ecs_documents import installer_document
from rca.testing.es_server import FakeElasticsearch
from rca.testing.events import at

INDEX = "filebeat-9.0.0-2026.12.03"


def _documents() -> list[dict[str, Any]]:
    return [
        installer_document(timestamp=at(f"02:00:{second:02d}"), node=f"node-{second % 2}",
                           txn=f"run-{second // 4}", level="ERROR" if second % 4 == 3 else "INFO",
                           message=f"line {second}", offset=second)
        for second in range(16)
    ]


@pytest.fixture
def server() -> Iterator[FakeElasticsearch]:
    with FakeElasticsearch() as fake:
        fake.add_documents(INDEX, _documents())
        yield fake


def _settings(url: str, **options: Any) -> EsSettings:
    settings = EsSettings.from_url(url)
    settings.retry_backoff = 0.0
    settings.request_timeout = 5.0
    for name, value in options.items():
        setattr(settings, name, value)
    return settings


def _fetch(url: str, *, sleeps: list[float] | None = None, **options: Any) -> EsResult:
    recorded = [] if sleeps is None else sleeps
    source = ElasticsearchSource(_settings(url, **options), sleep=recorded.append)
    return source.fetch(since=None, until=None, transaction=None, margin=30.0)


def _source_error(url: str, **options: Any) -> str:
    with pytest.raises(SourceError) as raised:
        _fetch(url, **options)
    return str(raised.value)


# -- retries ----------------------------------------------------------------------


def test_429_is_retried(server: FakeElasticsearch) -> None:
    server.inject_error(429, times=2, path_contains="_search")

    result = _fetch(server.source_url("filebeat-*"))

    assert result.failed_transactions == ["run-0", "run-1", "run-2", "run-3"]
    assert [request.status for request in server.requests[:4]] == [200, 429, 429, 200]
    assert result.requests == len(server.requests) == 7


def test_5xx_is_retried(server: FakeElasticsearch) -> None:
    server.inject_error(502, times=1, path_contains="_search")
    server.inject_error(503, times=1, path_contains="_search")

    result = _fetch(server.source_url("filebeat-*"))

    assert len(result.failed_transactions) == 4
    assert [request.status for request in server.requests[:4]] == [200, 502, 503, 200]


def test_retries_back_off(server: FakeElasticsearch) -> None:
    sleeps: list[float] = []
    server.inject_error(429, times=3, path_contains="_search")

    _fetch(server.source_url("filebeat-*"), sleeps=sleeps, retry_backoff=0.5)

    assert len(sleeps) == 3
    assert 0.25 <= sleeps[0] <= 0.5
    assert 0.5 <= sleeps[1] <= 1.0
    assert 1.0 <= sleeps[2] <= 2.0


def test_backoff_is_capped(server: FakeElasticsearch) -> None:
    sleeps: list[float] = []
    server.inject_error(503, times=2, path_contains="_search")

    _fetch(server.source_url("filebeat-*"), sleeps=sleeps, retry_backoff=100.0)

    assert len(sleeps) == 2
    assert all(15.0 <= seconds <= 30.0 for seconds in sleeps)


def test_retries_give_up(server: FakeElasticsearch) -> None:
    server.inject_error(503, times=10, path_contains="_search")

    message = _source_error(server.source_url("filebeat-*"), max_retries=2)

    assert "HTTP 503 after 2 retries" in message
    assert message.startswith(f"es://127.0.0.1:{server.port}/filebeat-*:")
    assert [request.status for request in server.requests].count(503) == 3
    assert server.open_pits == 0


# -- partial results ----------------------------------------------------------------------


def test_shard_failure_becomes_warning() -> None:
    with FakeElasticsearch(shards=2) as fake:
        fake.add_documents(INDEX, _documents())
        fake.failing_shards = {1}

        result = _fetch(fake.source_url("filebeat-*"))

    assert result.warnings
    assert all("1 of 2 shards failed" in warning for warning in result.warnings)
    assert all("may be incomplete" in warning for warning in result.warnings)
    assert any("failed runs search" in warning for warning in result.warnings)


def test_shard_failure_warns_once_per_search_kind() -> None:
    with FakeElasticsearch(shards=2) as fake:
        fake.add_documents(INDEX, _documents())
        fake.failing_shards = {0}

        result = _fetch(fake.source_url("filebeat-*"), page_size=1)

    assert len(result.warnings) == len(set(result.warnings))
    assert len(result.warnings) <= 4


def test_timed_out_search_becomes_warning(server: FakeElasticsearch) -> None:
    server.time_out_searches = True

    result = _fetch(server.source_url("filebeat-*"))

    assert any("search timed out" in warning for warning in result.warnings)


def test_pattern_matching_nothing_warns(server: FakeElasticsearch) -> None:
    result = _fetch(server.source_url("nothing-*"))

    assert result.events == []
    assert result.warnings == [f"es://127.0.0.1:{server.port}/nothing-*: the index pattern "
                               "nothing-* matches no index."]


# -- errors that stop the source ----------------------------------------------------------


def test_missing_credentials(server: FakeElasticsearch) -> None:
    server.require_api_key("a2V5")

    message = _source_error(server.source_url("filebeat-*"))

    assert message.startswith(f"es://127.0.0.1:{server.port}/filebeat-*: authentication failed")
    assert "HTTP 401" in message
    assert "RCA_ES_API_KEY" in message


def test_wrong_password(server: FakeElasticsearch) -> None:
    server.require_basic_auth("alice", "s3cret")

    message = _source_error(server.source_url("filebeat-*"), username="alice", password="nope")

    assert "authentication failed" in message
    assert "nope" not in message


def test_forbidden(server: FakeElasticsearch) -> None:
    server.inject_error(403, reason="action [indices:data/read/open_point_in_time] is "
                                    "unauthorized for user [alice]")

    message = _source_error(server.source_url("filebeat-*"))

    assert "access denied (HTTP 403" in message
    assert "read privilege on filebeat-*" in message


def test_missing_index(server: FakeElasticsearch) -> None:
    message = _source_error(server.source_url("filebeat-old"))

    assert message.startswith(f"es://127.0.0.1:{server.port}/filebeat-old: index filebeat-old "
                              "not found")
    assert "wildcard" in message


def test_rejected_query_names_field_types(server: FakeElasticsearch) -> None:
    server.inject_error(400, error_type="illegal_argument_exception",
                        reason="Text fields are not optimised for operations that require "
                               "per-document field data", path_contains="_search")

    message = _source_error(server.source_url("filebeat-*"))

    assert "HTTP 400" in message
    assert "keyword fields" in message
    assert server.open_pits == 0


def test_unreachable_host() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    message = _source_error(f"es://127.0.0.1:{port}/filebeat-*", max_retries=0)

    assert message.startswith(f"es://127.0.0.1:{port}/filebeat-*: cannot connect")
    assert "host and port" in message


class _NotElasticsearch(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        data = json.dumps({"id": "x"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_other_product_is_rejected() -> None:
    other = ThreadingHTTPServer(("127.0.0.1", 0), _NotElasticsearch)
    thread = threading.Thread(target=other.serve_forever, kwargs={"poll_interval": 0.02},
                              daemon=True)
    thread.start()
    try:
        message = _source_error(f"es://127.0.0.1:{other.server_address[1]}/logs")
    finally:
        other.shutdown()
        other.server_close()

    assert "is not Elasticsearch" in message


def test_failed_close_is_only_logged(server: FakeElasticsearch,
                                     caplog: pytest.LogCaptureFixture) -> None:
    server.inject_error(500, method="DELETE", times=10)

    with caplog.at_level(logging.WARNING, logger="rca.sources.elasticsearch"):
        result = _fetch(server.source_url("filebeat-*"), max_retries=0)

    assert len(result.failed_transactions) == 4
    assert result.warnings == []
    assert "closing the point in time failed" in caplog.text
