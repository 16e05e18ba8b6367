"""Contract tests against a real Loki, run only when RCA_LOKI_URL is set.

The same tests run against the loopback stand-in, so both must return the same
shapes. A pushed installer record comes back from ``query_range`` with its labels.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode
from urllib.request import urlopen

import pytest

from rca.testing.loki_server import FakeLoki

pytest.importorskip("logging_loki")

REPO = Path(__file__).resolve().parents[2]
REAL_URL = os.environ.get("RCA_LOKI_URL", "")


def _handler_module():
    spec = importlib.util.spec_from_file_location(
        "loki_handler_contract", REPO / "shipping" / "loki" / "loki_handler.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(params=["loopback", "real"])
def loki_url(request: pytest.FixtureRequest) -> Iterator[str]:
    if request.param == "real":
        if not REAL_URL:
            pytest.skip("RCA_LOKI_URL not set: point it at a disposable Loki "
                        "(for example http://127.0.0.1:3100) to run the contract tests")
        yield REAL_URL.rstrip("/")
        return
    with FakeLoki() as server:
        yield server.url


def _query(base: str, selector: str, start_ns: int) -> dict:
    params = urlencode({"query": selector, "start": start_ns,
                        "end": time.time_ns() + 60 * 10**9, "limit": 100})
    with urlopen(f"{base}/loki/api/v1/query_range?{params}", timeout=10) as response:
        return json.load(response)


def test_pushed_record_comes_back_with_labels(loki_url: str) -> None:
    module = _handler_module()
    txn = f"contract-{uuid.uuid4().hex[:8]}"
    start_ns = time.time_ns() - 10**9
    handler = module.make_loki_handler(node="contract-node", url=loki_url)
    logger = logging.getLogger(f"test.loki.contract.{txn}")
    logger.propagate = False
    logger.addHandler(handler)
    try:
        module.run_logger(logger, txn).error("open /usr/local/bin/dlv: permission denied")
    finally:
        logger.removeHandler(handler)

    body: dict = {}
    for _attempt in range(20):  # a real Loki makes pushed lines queryable after a moment
        body = _query(loki_url, f'{{transaction_id="{txn}"}}', start_ns)
        if body["data"]["result"]:
            break
        time.sleep(0.5)

    assert body["status"] == "success"
    assert body["data"]["resultType"] == "streams"
    (stream,) = body["data"]["result"]
    assert stream["stream"]["host"] == "contract-node"
    assert f"txn={txn}" in stream["values"][0][1]
