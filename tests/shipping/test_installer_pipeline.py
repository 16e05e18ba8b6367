"""Run ingest-pipeline-installer.json on installer lines, through the grok translator."""

# Log lines in the test tables are kept whole so they read as in the log files.
# ruff: noqa: E501

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURE, load_json
from ingest_simulator import PipelineFailure, run_pipeline

from rca.testing.grok import GrokProcessor, processors_of

PIPELINE = load_json("ingest-pipeline-installer.json")
RECORD = re.compile(r"^(?:\d{4}-\d{2}-\d{2}T|ts=)")
LEVELS = {"debug", "info", "notice", "warn", "error", "fatal"}


def installer_records(path: Path) -> list[str]:
    """The records of an installer log, continuation lines joined as Filebeat's multiline does."""
    records: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if RECORD.match(line) or not records:
            records.append(line)
        else:
            records[-1] += "\n" + line
    return records


def ingest(message: str) -> dict[str, Any]:
    return run_pipeline(PIPELINE, {"message": message})


FIXTURE_LOGS = sorted(FIXTURE.glob("*/installer.log*"))


def test_every_grok_processor_compiles() -> None:
    for processor in processors_of(PIPELINE, "grok"):
        assert GrokProcessor.from_processor(processor).patterns


@pytest.mark.parametrize("path", FIXTURE_LOGS, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_fixture_records_parse(path: Path) -> None:
    for record in installer_records(path):
        document = ingest(record)
        first_line = record.split("\n")[0]
        txn = re.search(r"\b(?:txn|txn_id)=(\S+)", first_line)

        assert "_tmp" not in document, first_line
        assert document["log"]["level"] in LEVELS, first_line
        assert document["@timestamp"].startswith("2026-12-03T"), first_line
        assert document["message"], first_line
        assert document.get("transaction", {}).get("id") == (txn.group(1) if txn else None), (
            first_line
        )
        assert document["event"]["original"] == record


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            '2026-12-03T02:14:07.123Z ERROR txn=run-0042 step=go-install exit=1 msg="go: downloading x v1"',
            {
                "@timestamp": "2026-12-03T02:14:07.123000+00:00",
                "level": "error",
                "txn": "run-0042",
                "step": "go-install",
                "exit": 1,
                "message": "go: downloading x v1",
            },
        ),
        (
            "2026-12-03 02:14:07,123 ERROR txn=run-0042 msg=failed",
            {
                "@timestamp": "2026-12-03T02:14:07.123000+00:00",
                "level": "error",
                "txn": "run-0042",
                "step": None,
                "exit": None,
                "message": "failed",
            },
        ),
        (
            '2026-12-03T10:14:07+08:00 ERROR txn=run-0042 msg="zone offset"',
            {
                "@timestamp": "2026-12-03T02:14:07+00:00",
                "level": "error",
                "txn": "run-0042",
                "step": None,
                "exit": None,
                "message": "zone offset",
            },
        ),
        (
            '2026-12-03T02:14:07Z [error] txn=run-0042 msg="bracketed level"',
            {
                "@timestamp": "2026-12-03T02:14:07+00:00",
                "level": "error",
                "txn": "run-0042",
                "step": None,
                "exit": None,
                "message": "bracketed level",
            },
        ),
        (
            'ts=2026-12-03T02:14:07Z level=warn txn_id=run-0042 rc=0 msg="logfmt form"',
            {
                "@timestamp": "2026-12-03T02:14:07+00:00",
                "level": "warn",
                "txn": "run-0042",
                "step": None,
                "exit": 0,
                "message": "logfmt form",
            },
        ),
        (
            "2026-12-03T02:14:07Z ERROR go install failed txn=run-0042 exit=1",
            {
                "@timestamp": "2026-12-03T02:14:07+00:00",
                "level": "error",
                "txn": "run-0042",
                "step": None,
                "exit": 1,
                "message": "go install failed txn=run-0042 exit=1",
            },
        ),
        (
            '2026-12-03T02:14:07Z INFO run_id=run-0042 status=3 msg="alias fields"',
            {
                "@timestamp": "2026-12-03T02:14:07+00:00",
                "level": "info",
                "txn": "run-0042",
                "step": None,
                "exit": 3,
                "message": "alias fields",
            },
        ),
        (
            '2026-12-03T02:14:07Z FATAL transaction.id=run-0042 exit_code=2 msg="say \\"no\\" \\\\ twice"',
            {
                "@timestamp": "2026-12-03T02:14:07+00:00",
                "level": "fatal",
                "txn": "run-0042",
                "step": None,
                "exit": 2,
                "message": 'say "no" \\ twice',
            },
        ),
    ],
    ids=[
        "canonical",
        "space-comma",
        "offset",
        "bracketed",
        "logfmt",
        "free-text",
        "aliases",
        "escapes",
    ],
)
def test_variant_fields(line: str, expected: dict[str, Any]) -> None:
    document = ingest(line)

    assert document["@timestamp"] == expected["@timestamp"]
    assert document["log"]["level"] == expected["level"]
    assert document["transaction"]["id"] == expected["txn"]
    assert document.get("installer", {}).get("step") == expected["step"]
    assert document.get("process", {}).get("exit_code") == expected["exit"]
    assert document["message"] == expected["message"]


def test_continuation_lines_join_message() -> None:
    record = (
        '2026-12-03T01:23:40.512Z ERROR txn=run-0105 step=go-install msg="# github.com/go-delve/delve/pkg/proc"\n'
        "/root/go/pkg/mod/github.com/go-delve/delve@v1.24.0/pkg/proc/eval.go:2391:11: undefined: max\n"
        "note: module requires Go 1.21"
    )

    document = ingest(record)

    assert document["message"].splitlines() == [
        "# github.com/go-delve/delve/pkg/proc",
        "/root/go/pkg/mod/github.com/go-delve/delve@v1.24.0/pkg/proc/eval.go:2391:11: undefined: max",
        "note: module requires Go 1.21",
    ]
    assert document["transaction"]["id"] == "run-0105"


def test_command_is_unquoted() -> None:
    document = ingest(
        "2026-12-03T01:04:05.160Z INFO txn=run-0101 step=go-install "
        'cmd="go install github.com/go-delve/delve/cmd/dlv@latest" msg="attempt 1 of 3"'
    )

    assert (
        document["process"]["command_line"] == "go install github.com/go-delve/delve/cmd/dlv@latest"
    )
    assert document["message"] == "attempt 1 of 3"


def test_quoted_get_url_is_unescaped() -> None:
    (record,) = [
        line
        for line in installer_records(FIXTURE / "build-ubuntu-01" / "installer.log.1")
        if "i/o timeout" in line
    ][:1]

    document = ingest(record)

    assert (
        'Get "https://proxy.golang.org/github.com/go-delve/delve/cmd/dlv/@v/list"'
        in document["message"]
    )


def test_line_without_timestamp_fails_pipeline() -> None:
    with pytest.raises(PipelineFailure, match="no pattern matches"):
        ingest("note: module requires Go 1.21")
