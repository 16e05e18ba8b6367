"""Run ingest-pipeline-audit.json on the fixture's audit logs and on real audit samples."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURE, load_json
from ingest_simulator import run_pipeline

from rca.testing.grok import GrokProcessor, processors_of

PIPELINE = load_json("ingest-pipeline-audit.json")
HEADER = GrokProcessor.from_processor(processors_of(PIPELINE, "grok")[0])
SAMPLE_FILES = [
    "audit-avc-multihost-edgecases.log",
    "audit-avc-nginx-name-bind.log",
    "audit-avc-postfix-auparse.log",
    "audit-avc-selinux-and-apparmor-beats.log",
    "audit-avc-sepolgen-avcpath.log",
    "audit-mixed-record-types.log",
    "audit-node-prefix-cent7.log",
    "apparmor-audit-log.log",
]


def read_lines(path: Path) -> list[str]:
    # Split on LF only: str.splitlines() would also cut at the 0x1D byte of ENRICHED records.
    data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    return [line for line in data.decode("utf-8").split("\n") if line]


def ingest(line: str) -> dict[str, Any]:
    return run_pipeline(PIPELINE, {"message": line})


FIXTURE_AUDIT = sorted(FIXTURE.glob("*/audit.log*"))


@pytest.mark.parametrize("path", FIXTURE_AUDIT, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_fixture_audit_records_parse(path: Path) -> None:
    for line in read_lines(path):
        document = ingest(line)

        assert "_tmp" not in document, line
        assert isinstance(document["auditd"]["log"]["sequence"], int), line
        assert document["event"]["sequence"] == document["auditd"]["log"]["sequence"]
        assert document["@timestamp"].startswith("2026-12-03T"), line
        assert document["event"]["action"] == document["auditd"]["log"]["record_type"].lower()


@pytest.mark.parametrize("name", SAMPLE_FILES)
def test_sample_headers_parse(samples: Path, name: str) -> None:
    for line in read_lines(samples / name):
        captured = HEADER.match(line)

        assert captured is not None, line
        assert isinstance(captured["auditd.log.sequence"], int)


def test_selinux_denial_fields() -> None:
    line = next(
        line for line in read_lines(FIXTURE / "web-rhel-02" / "audit.log") if "avc:  denied" in line
    )

    fields = ingest(line)["auditd"]["log"]

    assert fields["avc_result"] == "denied"
    assert fields["permissions"] == "write"
    assert fields["scontext"] == "system_u:system_r:fleet_install_t:s0"
    assert fields["tcontext"] == "unconfined_u:object_r:admin_home_t:s0"
    assert fields["tclass"] == "file"
    assert fields["name"] == "dlv"


def test_selinux_denial_is_error() -> None:
    line = next(
        line for line in read_lines(FIXTURE / "web-rhel-02" / "audit.log") if "avc:  denied" in line
    )

    assert ingest(line)["log"]["level"] == "error"


def test_apparmor_denial_fields() -> None:
    line = next(
        line for line in read_lines(FIXTURE / "build-ubuntu-02" / "audit.log") if "DENIED" in line
    )

    document = ingest(line)
    fields = document["auditd"]["log"]

    assert fields["apparmor"] == "DENIED"
    assert fields["operation"] == "mknod"
    assert fields["profile"] == "fleet-agent"
    assert fields["name"] == "/usr/local/bin/dlv"
    assert document["log"]["level"] == "error"


def test_routine_record_has_no_level() -> None:
    line = next(
        line for line in read_lines(FIXTURE / "web-rhel-02" / "audit.log") if "SERVICE_STOP" in line
    )

    document = ingest(line)

    assert "log" not in document
    assert document["auditd"]["log"]["res"] == "success"
    assert document["auditd"]["log"]["unit"] == "sysstat-collect"


@pytest.mark.parametrize(
    ("name", "needle", "scontext"),
    [
        ("audit-avc-nginx-name-bind.log", "name_bind", "system_u:system_r:httpd_t:s0"),
        ("audit-avc-postfix-auparse.log", "read write", "system_u:system_r:postfix_pickup_t:s0"),
        ("audit-avc-selinux-and-apparmor-beats.log", "getattr", "unconfined_u:system_r:httpd_t:s0"),
    ],
    ids=["nginx", "postfix", "beats"],
)
def test_sample_selinux_denials(samples: Path, name: str, needle: str, scontext: str) -> None:
    line = next(line for line in read_lines(samples / name) if f"{{ {needle} }}" in line)

    fields = ingest(line)["auditd"]["log"]

    assert fields["avc_result"] == "denied"
    assert fields["permissions"] == needle
    assert fields["scontext"] == scontext


def test_sample_node_prefix(samples: Path) -> None:
    line = read_lines(samples / "audit-node-prefix-cent7.log")[0]

    fields = ingest(line)["auditd"]["log"]

    assert fields["node"] == "node-01.example.com"
    assert fields["record_type"] == "DAEMON_START"
    assert fields["sequence"] == 4686
