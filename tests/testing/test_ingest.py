"""The Filebeat emulation builds the documents the shipping set-up would index."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from rca.testing.ingest import (
    AuditRoute,
    ShippedDocument,
    ShippingSetup,
    Unsupported,
    incident_documents,
    load_shipping_setup,
    run_pipeline,
)

SHIPPING = Path(__file__).resolve().parents[2] / "shipping" / "filebeat"
NODE = "build-ubuntu-01"

INSTALLER_LOG = (
    '2026-12-03T01:04:05.112Z INFO txn=run-0101 step=start msg="install dlv"\n'
    '2026-12-03T01:04:35.164Z ERROR txn=run-0101 step=go-install exit=1 msg="go build failed"\n'
    "# github.com/go-delve/delve/pkg/proc\n"
    "pkg/proc/native.go:12: undefined: x\n"
    '2026-12-03T01:04:36.000Z INFO txn=run-0101 step=finish msg="done"\n'
)
AVC_LINE = (
    "type=AVC msg=audit(1796262100.229:71072): avc:  denied  { write } for  pid=72879 "
    'comm="go" name="dlv" dev="dm-0" ino=33914628 '
    "scontext=system_u:system_r:fleet_install_t:s0 "
    "tcontext=unconfined_u:object_r:admin_home_t:s0 tclass=file permissive=0"
)


def journal_entry(**fields: str) -> str:
    entry = {"__REALTIME_TIMESTAMP": "1796259875112345", "__CURSOR": "s=1;i=2",
             "_HOSTNAME": NODE, "PRIORITY": "6", "MESSAGE": "hello"}
    entry.update(fields)
    return json.dumps(entry)


@pytest.fixture(scope="module")
def setup() -> ShippingSetup:
    return load_shipping_setup(SHIPPING)


def build(tmp_path: Path, setup: ShippingSetup, files: dict[str, str | bytes],
          route: AuditRoute = AuditRoute.MODULE) -> list[ShippedDocument]:
    node = tmp_path / "incident" / NODE
    node.mkdir(parents=True)
    for name, content in files.items():
        if isinstance(content, bytes):
            (node / name).write_bytes(content)
        else:
            (node / name).write_text(content, encoding="utf-8")
    return incident_documents(tmp_path / "incident", setup, audit_route=route)


def test_installer_continuation_joins_record(tmp_path: Path, setup: ShippingSetup) -> None:
    documents = build(tmp_path, setup, {"installer.log": INSTALLER_LOG})

    assert [shipped.line for shipped in documents] == [1, 2, 5]
    error = documents[1].source
    assert error["message"] == ("go build failed\n# github.com/go-delve/delve/pkg/proc\n"
                                "pkg/proc/native.go:12: undefined: x")
    assert error["log"]["flags"] == ["multiline"]
    assert error["log"]["offset"] == len(INSTALLER_LOG.splitlines(keepends=True)[0])


def test_installer_document_fields(tmp_path: Path, setup: ShippingSetup) -> None:
    documents = build(tmp_path, setup, {"installer.log.1": INSTALLER_LOG})
    error = documents[1]

    assert error.doc_id == f"{NODE}:installer.log.1:2"
    assert error.source["transaction"]["id"] == "run-0101"
    assert error.source["log"]["level"] == "error"
    assert error.source["log"]["file"]["path"] == "/var/log/fleet/installer.log.1"
    assert error.source["process"]["exit_code"] == 1
    assert error.source["event"]["dataset"] == "rca.installer"
    assert error.source["host"]["name"] == NODE


@pytest.mark.parametrize(("fields", "shipped"), [
    ({"SYSLOG_IDENTIFIER": "fleet-install"}, True),
    ({"SYSLOG_IDENTIFIER": "fleet-dispatcher"}, True),
    ({"SYSLOG_IDENTIFIER": "systemd", "_SYSTEMD_UNIT": "init.scope"}, True),
    ({"SYSLOG_IDENTIFIER": "sshd", "_SYSTEMD_UNIT": "ssh.service"}, False),
    ({"SYSLOG_IDENTIFIER": "audit", "_TRANSPORT": "audit"}, False),
], ids=["fleet-install", "fleet-dispatcher", "systemd-init-scope", "sshd", "audit-transport"])
def test_journald_include_matches(tmp_path: Path, setup: ShippingSetup,
                                  fields: dict[str, str], shipped: bool) -> None:
    documents = build(tmp_path, setup, {"journal.json": journal_entry(**fields) + "\n"})

    assert len(documents) == (1 if shipped else 0)


def test_journald_entry_maps_to_ecs(tmp_path: Path, setup: ShippingSetup) -> None:
    line = journal_entry(SYSLOG_IDENTIFIER="fleet-install", PRIORITY="3", _PID="4242",
                         TRANSACTION_ID="run-0101", FLEET_STEP="go-install",
                         MESSAGE="go install failed")
    (document,) = build(tmp_path, setup, {"journal.json": line + "\n"})
    source = document.source

    assert source["@timestamp"] == "2026-12-03T01:04:35.112345Z"
    assert source["message"] == "go install failed"
    assert source["log"]["syslog"]["priority"] == 3
    assert source["log"]["level"] == "error"
    assert source["process"]["pid"] == 4242
    assert source["transaction"]["id"] == "run-0101"
    assert source["installer"]["step"] == "go-install"
    assert source["journald"]["custom"]["fleet_step"] == "go-install"
    assert "cursor" not in source["journald"]["custom"]


def test_journald_entry_selected_twice_is_indexed_twice(tmp_path: Path,
                                                        setup: ShippingSetup) -> None:
    line = journal_entry(SYSLOG_IDENTIFIER="fleet-install", _SYSTEMD_UNIT="init.scope")
    documents = build(tmp_path, setup, {"journal.json": line + "\n"})

    assert [shipped.doc_id for shipped in documents] == [
        f"{NODE}:journal.json:1", f"{NODE}:journal.json:1#rca-journald-systemd"]


def test_unknown_script_is_unsupported() -> None:
    pipeline: dict[str, Any] = {"processors": [
        {"script": {"lang": "painless", "source": "ctx.log.level = 'error'"}}]}

    with pytest.raises(Unsupported):
        run_pipeline(pipeline, {"log": {"syslog": {"priority": 3}}})


def test_audit_module_document(tmp_path: Path, setup: ShippingSetup) -> None:
    (document,) = build(tmp_path, setup, {"audit.log": AVC_LINE + "\n"})
    source = document.source

    assert source["event"]["module"] == "auditd"
    assert source["event"]["dataset"] == "auditd.log"
    assert source["event"]["action"] == "avc"
    assert source["event"]["original"] == AVC_LINE
    assert source["@timestamp"].startswith("2026-12-03T01:41:40.229")
    assert source["auditd"]["log"]["sequence"] == 71072
    assert source["auditd"]["log"]["scontext"] == "system_u:system_r:fleet_install_t:s0"
    assert source["process"] == {"pid": 72879, "name": "go"}
    assert "level" not in source["log"]


def test_audit_pipeline_document(tmp_path: Path, setup: ShippingSetup) -> None:
    (document,) = build(tmp_path, setup, {"audit.log": AVC_LINE + "\n"}, AuditRoute.PIPELINE)
    source = document.source

    assert source["event"]["dataset"] == "rca.audit"
    assert source["log"]["level"] == "error"
    assert source["auditd"]["log"]["avc_result"] == "denied"


def test_unshipped_files_are_skipped(tmp_path: Path, setup: ShippingSetup) -> None:
    documents = build(tmp_path, setup, {
        "audit.log.1.gz": gzip.compress(AVC_LINE.encode() + b"\n"),
        "syslog": "Dec  3 01:04:35 build-ubuntu-01 kernel: hello\n",
        "kern.log": "Dec  3 01:04:35 build-ubuntu-01 kernel: hello\n",
    })

    assert documents == []


def test_other_multiline_options_rejected(tmp_path: Path) -> None:
    config = (SHIPPING / "filebeat.yml").read_text(encoding="utf-8")
    (tmp_path / "filebeat.yml").write_text(config.replace("match: after", "match: before"),
                                           encoding="utf-8")
    for pipeline in SHIPPING.glob("ingest-pipeline-*.json"):
        (tmp_path / pipeline.name).write_bytes(pipeline.read_bytes())

    with pytest.raises(ValueError, match="multiline"):
        load_shipping_setup(tmp_path)


def test_setup_is_read_from_filebeat_yml(setup: ShippingSetup) -> None:
    assert setup.installer_paths == ("/var/log/fleet/installer.log",
                                     "/var/log/fleet/installer.log.1")
    assert [source.id for source in setup.journald_inputs] == [
        "rca-journald-fleet", "rca-journald-systemd"]
    assert setup.audit_paths == ("/var/log/audit/audit.log*",)
    assert setup.multiline_max_lines == 500
