"""Filebeat-shaped ECS documents and a fleet corpus, for tests and benchmarks.

The builders return documents as Filebeat indexes them (nested objects), with
only the fields the analyzer reads plus a little agent metadata. `fleet_corpus`
lays out many install runs over a few nodes, a chosen number of them failed, with
journald and audit context inside each run's window and noise outside it, and
records which documents the Elasticsearch source must return.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rca.model import format_timestamp

INSTALLER_PATH = "/var/log/example-installer/install.log"


def installer_document(*, timestamp: float, node: str, txn: str, level: str, message: str,
                       offset: int, exit_code: int | None = None, step: str | None = None,
                       raw_line: bool = False) -> dict[str, Any]:
    """Build an installer line as a filestream input ships it and the ingest pipeline parses it.

    With `raw_line`, ``message`` contains the whole line as written, as when
    the pipeline keeps the original text.
    """
    stamp = format_timestamp(timestamp)
    document: dict[str, Any] = {
        "@timestamp": stamp,
        "agent": {"type": "filebeat", "version": "9.0.0", "name": node},
        "ecs": {"version": "8.11.0"},
        "host": {"name": node},
        "input": {"type": "filestream"},
        "log": {"level": level, "offset": offset, "file": {"path": INSTALLER_PATH}},
        "transaction": {"id": txn},
        "message": message,
    }
    if raw_line:
        fields = f"txn={txn}" + (f" step={step}" if step else "") + (
            f" exit={exit_code}" if exit_code is not None else "")
        document["message"] = f'{stamp} {level} {fields} msg="{message}"'
    if exit_code is not None:
        document["process"] = {"exit_code": exit_code}
    if step is not None:
        document["installer"] = {"step": step}
    return document


def journald_document(*, timestamp: float, node: str, message: str, priority: int,
                      unit: str = "example-installer.service", identifier: str = "systemd",
                      transport: str = "journal", custom: dict[str, Any] | None = None
                      ) -> dict[str, Any]:
    """Build a journal entry as Filebeat's journald input ships it."""
    return {
        "@timestamp": format_timestamp(timestamp),
        "agent": {"type": "filebeat", "version": "9.0.0", "name": node},
        "host": {"name": node, "hostname": node},
        "input": {"type": "journald"},
        "event": {"kind": "event"},
        "message": message,
        "log": {"syslog": {"priority": priority, "appname": identifier,
                           "facility": {"code": 3}}},
        "systemd": {"unit": unit, "transport": transport},
        "journald": {"pid": 1, "custom": dict(custom or {})},
    }


def auditd_document(*, timestamp: float, node: str, record_type: str, body: str, serial: int,
                    offset: int = 0, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    """Build an audit record as Filebeat's auditd module indexes it, with ``event.original``."""
    seconds = f"{timestamp:.3f}"
    return {
        "@timestamp": format_timestamp(timestamp),
        "agent": {"type": "filebeat", "version": "9.0.0", "name": node},
        "host": {"name": node},
        "input": {"type": "log"},
        "log": {"file": {"path": "/var/log/audit/audit.log"}, "offset": offset},
        "event": {"module": "auditd", "dataset": "auditd.log", "kind": "event",
                  "action": record_type.lower(),
                  "original": f"type={record_type} msg=audit({seconds}:{serial}): {body}"},
        "fileset": {"name": "log"},
        "service": {"type": "auditd"},
        "auditd": {"log": {"sequence": serial, **(fields or {})}},
    }


@dataclass(slots=True)
class FleetCorpus:
    """Documents of many runs, with the ids and counts the source must return."""

    documents: list[dict[str, Any]] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    failed_runs: list[str] = field(default_factory=list)
    expected_ids: set[str] = field(default_factory=set)
    expected_own: int = 0
    expected_context: int = 0

    def add(self, document: dict[str, Any], *, expected: bool) -> None:
        doc_id = f"doc-{len(self.documents):07d}"
        self.documents.append(document)
        self.ids.append(doc_id)
        if expected:
            self.expected_ids.add(doc_id)


def fleet_corpus(*, runs: int, failed: int, events_per_run: int, nodes: int = 8,
                 start: float = 1_796_263_200.0, spacing: float = 120.0,
                 step: float = 0.5) -> FleetCorpus:
    """Lay out `runs` runs on `nodes` nodes; every (runs // failed)-th run fails.

    Run ``i`` runs on ``node-(i % nodes)`` from ``start + i * spacing``, one
    installer line each `step` seconds. Each run has a journald entry and an
    audit record inside its window (30 s margin) and an audit record 300 s after
    its start, outside every window while a run lasts under 270 s and
    ``nodes * spacing`` exceeds 330 s.
    A failed run's error line has ``exit_code`` 1; the context of a failed run
    is expected, the noise never is.
    """
    if failed > runs or failed < 0:
        raise ValueError(f"failed must be between 0 and {runs}, not {failed}")
    corpus = FleetCorpus()
    every = runs // failed if failed else runs + 1
    for run in range(runs):
        txn = f"run-{run:06d}"
        node = f"node-{run % nodes:02d}"
        begin = start + run * spacing
        is_failed = failed > 0 and run % every == 0 and len(corpus.failed_runs) < failed
        if is_failed:
            corpus.failed_runs.append(txn)

        for line in range(events_per_run):
            error_line = is_failed and line == events_per_run - 2
            corpus.add(installer_document(
                timestamp=begin + line * step, node=node, txn=txn,
                level="ERROR" if error_line else "INFO",
                message=f"step {line} of {txn}", offset=line * 120,
                exit_code=1 if error_line else None, step=f"step-{line % 5}",
            ), expected=is_failed)
        end = begin + (events_per_run - 1) * step

        corpus.add(journald_document(timestamp=begin + 1.0, node=node, priority=6,
                                     message="Started example-installer.service."),
                   expected=is_failed)
        corpus.add(auditd_document(timestamp=end + 10.0, node=node, record_type="AVC",
                                   serial=run, body="avc:  denied  { read } for pid=7 "
                                   'comm="go" name="go.mod" tclass=file permissive=0'),
                   expected=is_failed)
        corpus.add(auditd_document(timestamp=begin + 300.0, node=node, record_type="SYSCALL",
                                   serial=run + 1_000_000, body="arch=c000003e syscall=2"),
                   expected=False)
    corpus.expected_own = len(corpus.failed_runs) * events_per_run
    corpus.expected_context = len(corpus.failed_runs) * 2
    return corpus
