"""Tests for shipping/loki/loki_handler.py. Nothing here sends a request."""

from __future__ import annotations

import importlib.util
import logging
import sys
from collections.abc import Iterator
from types import ModuleType

import pytest
from conftest import REPO, load_json

from rca.testing.grok import GrokProcessor, processors_of

pytest.importorskip("logging_loki")


@pytest.fixture(scope="module")
def loki() -> Iterator[ModuleType]:
    spec = importlib.util.spec_from_file_location(
        "loki_handler", REPO / "shipping" / "loki" / "loki_handler.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["loki_handler"] = module
    spec.loader.exec_module(module)
    yield module
    del sys.modules["loki_handler"]


class Captured:
    """A stand-in for the emitter that records what would be pushed."""

    def __init__(self, emitter: object) -> None:
        self.emitter = emitter
        self.pushed: list[tuple[dict[str, object], str]] = []

    def __call__(self, record: logging.LogRecord, line: str) -> None:
        self.pushed.append((self.emitter.build_tags(record), line))  # type: ignore[attr-defined]


def test_default_url_is_local(loki: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RCA_LOKI_URL", raising=False)

    assert loki.loki_push_url() == "http://127.0.0.1:3100/loki/api/v1/push"


def test_environment_sets_url(loki: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RCA_LOKI_URL", "http://127.0.0.1:3999/")

    assert loki.loki_push_url() == "http://127.0.0.1:3999/loki/api/v1/push"


def test_argument_overrides_environment(loki: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RCA_LOKI_URL", "http://127.0.0.1:3999")

    assert (
        loki.loki_push_url("http://127.0.0.1:3100/loki/api/v1/push")
        == "http://127.0.0.1:3100/loki/api/v1/push"
    )


def test_handler_targets_push_url(loki: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RCA_LOKI_URL", raising=False)

    handler = loki.make_loki_handler(node="build-ubuntu-01")

    assert handler.emitter.url == "http://127.0.0.1:3100/loki/api/v1/push"


def test_record_tags_and_line(loki: ModuleType) -> None:
    handler = loki.make_loki_handler(node="build-ubuntu-01", url="http://127.0.0.1:3100")
    captured = Captured(handler.emitter)
    handler.emitter = captured
    logger = logging.getLogger("test.fleet.install")
    logger.propagate = False
    logger.addHandler(handler)
    try:
        loki.run_logger(logger, "run-0101").error(
            'Get "https://proxy.golang.org/x": dial tcp 142.250.72.17:443: i/o timeout',
            extra={"step": "go-install"},
        )
    finally:
        logger.removeHandler(handler)

    ((tags, line),) = captured.pushed
    assert tags["transaction_id"] == "run-0101"
    assert tags["host"] == "build-ubuntu-01"
    assert tags["job"] == "fleet-install"
    assert " ERROR txn=run-0101 step=go-install msg=" in line


def test_line_parses_with_installer_pipeline(loki: ModuleType) -> None:
    record = logging.LogRecord(
        "fleet.install", logging.WARNING, __file__, 1, 'retry "later"', None, None
    )
    record.txn = "run-0101"
    record.exit = 1
    line = loki.InstallerFormatter().format(record)
    header = GrokProcessor.from_processor(
        processors_of(load_json("ingest-pipeline-installer.json"), "grok")[0]
    )

    captured = header.match(line)

    assert captured is not None
    assert captured["_tmp.level"] == "WARN"
    assert line.endswith(' txn=run-0101 exit=1 msg="retry \\"later\\""')


def test_handler_pushes_to_loopback_loki(loki: ModuleType) -> None:
    from rca.testing.loki_server import FakeLoki

    with FakeLoki() as server:
        handler = loki.make_loki_handler(node="build-ubuntu-01", url=server.url)
        logger = logging.getLogger("test.loki.push")
        logger.propagate = False
        logger.addHandler(handler)
        try:
            loki.run_logger(logger, "run-0042").error("go install failed", extra={"exit": 1})
        finally:
            logger.removeHandler(handler)

    assert ("POST", "/loki/api/v1/push") in server.requests
    (stream,) = server.streams
    assert stream.labels["host"] == "build-ubuntu-01"
    assert stream.labels["transaction_id"] == "run-0042"
    line = stream.values[0][1]
    assert " ERROR txn=run-0042 exit=1 " in line
    assert stream.values[0][0].isdigit()
