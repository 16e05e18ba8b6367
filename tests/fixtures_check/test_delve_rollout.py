"""Check the bundled delve-rollout incidents against their EXPECTED.tsv.

These tests read the fixture with small parsers of their own, not with `rca.parsers`,
so a wrong expectation cannot hide behind a parser bug. They recompute every run's
window and first error and compare them with what EXPECTED.tsv promises.
"""

from __future__ import annotations

import datetime as dt
import gzip
import importlib.util
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
INCIDENTS = REPO / "fixtures" / "incidents"
GENERATOR = REPO / "fixtures" / "generate" / "delve_rollout.py"
NAMES = ["2026-12-03-delve-rollout", "2026-12-03-delve-rollout-minimal"]
MARGIN_US = 30_000_000

CANONICAL = re.compile(
    r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}(?:Z|[+-]\d{2}:\d{2})) ([A-Z]+) (.*)$"
)
LOGFMT = re.compile(r"^ts=(\S+) level=([a-z]+) (.*)$")
PAIR = re.compile(r'([A-Za-z_][\w.]*)=("(?:[^"\\]|\\.)*"|\S*)')
AUDIT = re.compile(r"^type=([A-Z_]+) msg=audit\((\d+)\.(\d{3}):(\d+)\): (.*)$")
RFC3164 = re.compile(r"^([A-Z][a-z]{2}) ([ \d]\d) (\d{2}:\d{2}:\d{2}) (\S+) (.*)$")
RFC3339 = re.compile(r"^(\d{4}-\d{2}-\d{2}T\S+) (\S+) (.*)$")

# Text each first error must contain, by cause id.
SIGNATURES = {
    "network.timeout": "dial tcp 142.250.72.17:443: i/o timeout",
    "network.dns": "Temporary failure resolving",
    "go.version_too_old": "note: module requires Go 1.21",
    "perm.selinux_avc": "avc:  denied  { write }",
    "perm.apparmor_denied": 'apparmor="DENIED"',
    "disk.full": "No space left on device",
}


@dataclass
class Record:
    """One record of any log in the fixture, reduced to what the checks need."""

    node: str
    path: str
    line: int
    time_us: int
    text: str
    txn: str | None
    error: bool
    source_time_us: int | None = None
    fields: dict[str, str] = field(default_factory=dict)

    @property
    def origin(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass
class Expected:
    txn: str
    status: str
    nodes: list[str]
    origin: str
    cause: str


def to_us(text: str) -> int:
    moment = dt.datetime.fromisoformat(text)
    return int(moment.timestamp()) * 1_000_000 + moment.microsecond


def logfmt(text: str) -> dict[str, str]:
    pairs = {}
    for key, value in PAIR.findall(text):
        if value.startswith('"'):
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        pairs[key] = value
    return pairs


def read_lines(path: Path) -> list[str]:
    data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    return data.decode("utf-8").split("\n")[:-1]


def installer_records(node: str, path: Path) -> Iterator[Record]:
    current: Record | None = None
    for number, line in enumerate(read_lines(path), start=1):
        match = CANONICAL.match(line) or LOGFMT.match(line)
        if match is None:
            assert current is not None, f"{path}:{number} continues no record"
            current.text += "\n" + line
            continue
        if current is not None:
            yield current
        stamp, level, rest = match.groups()
        pairs = logfmt(rest)
        txn = pairs.get("txn") or pairs.get("txn_id")
        exit_text = pairs.get("exit") or pairs.get("rc")
        error = level.upper() in ("ERROR", "FATAL") or (
            exit_text is not None and int(exit_text) != 0
        )
        current = Record(
            node,
            f"{node}/{path.name}",
            number,
            to_us(stamp),
            pairs.get("msg", ""),
            txn,
            error,
            fields=pairs,
        )
    if current is not None:
        yield current


def audit_records(node: str, path: Path) -> Iterator[Record]:
    for number, line in enumerate(read_lines(path), start=1):
        match = AUDIT.match(line)
        assert match is not None, f"{path}:{number} is not a raw audit record"
        kind, seconds, millis, serial, body = match.groups()
        error = (
            "avc:  denied" in body
            or 'apparmor="DENIED"' in body
            or "res=failed" in body
            or "success=no" in body
        )
        yield Record(
            node,
            f"{node}/{path.name}",
            number,
            int(seconds) * 1_000_000 + int(millis) * 1000,
            line,
            None,
            error,
            fields={"type": kind, "serial": serial},
        )


def journal_records(node: str, path: Path) -> Iterator[Record]:
    for number, line in enumerate(read_lines(path), start=1):
        entry = json.loads(line)
        priority = entry.get("PRIORITY")
        error = (
            (priority is not None and int(priority) <= 3)
            or entry.get("EXIT_STATUS", "0") != "0"
            or 'apparmor="DENIED"' in entry["MESSAGE"]
        )
        source = entry.get("_SOURCE_REALTIME_TIMESTAMP")
        yield Record(
            node,
            f"{node}/{path.name}",
            number,
            int(entry["__REALTIME_TIMESTAMP"]),
            entry["MESSAGE"],
            entry.get("TRANSACTION_ID"),
            error,
            int(source) if source else None,
            fields=entry,
        )


def text_records(node: str, path: Path) -> Iterator[Record]:
    """syslog and kern.log lines; yearless stamps are read as 2026, the fixture's year."""
    for number, line in enumerate(read_lines(path), start=1):
        match = RFC3339.match(line)
        if match is not None and match.group(1)[:4].isdigit():
            time_us, text = to_us(match.group(1)), match.group(3)
        else:
            old = RFC3164.match(line)
            assert old is not None, f"{path}:{number} is neither RFC 3164 nor RFC 3339"
            month, day, clock, _, text = old.groups()
            stamp = dt.datetime.strptime(f"2026 {month} {int(day)} {clock}", "%Y %b %d %H:%M:%S")
            time_us = int(stamp.replace(tzinfo=dt.UTC).timestamp()) * 1_000_000
        error = bool(re.search(r"fail|error|denied", text, re.IGNORECASE))
        yield Record(node, f"{node}/{path.name}", number, time_us, text, None, error)


def read_incident(name: str) -> list[Record]:
    records: list[Record] = []
    for folder in sorted(path for path in (INCIDENTS / name).iterdir() if path.is_dir()):
        for path in sorted(folder.iterdir()):
            if path.name.startswith("installer.log"):
                records.extend(installer_records(folder.name, path))
            elif path.name.startswith("audit.log"):
                records.extend(audit_records(folder.name, path))
            elif path.name == "journal.json":
                records.extend(journal_records(folder.name, path))
            elif path.name in ("syslog", "kern.log"):
                records.extend(text_records(folder.name, path))
            else:
                pytest.fail(f"unexpected file {path}")
    return records


def read_expected(name: str) -> list[Expected]:
    lines = (INCIDENTS / name / "EXPECTED.tsv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "txn\tstatus\tnodes\tfirst_error_origin\tcause"
    rows = []
    for line in lines[1:]:
        txn, status, nodes, origin, cause = line.split("\t")
        rows.append(Expected(txn, status, nodes.split(","), origin, cause))
    return rows


def sort_time(record: Record, convention: str) -> int:
    if convention == "source-realtime" and record.source_time_us is not None:
        return record.source_time_us
    return record.time_us


def window_events(records: list[Record], txn: str, convention: str) -> list[Record]:
    """The run's own records plus the id-less records of its nodes inside its window."""
    own = [record for record in records if record.txn == txn]
    nodes = {record.node for record in own}
    start = min(sort_time(record, convention) for record in own) - MARGIN_US
    end = max(sort_time(record, convention) for record in own) + MARGIN_US
    context = [
        record
        for record in records
        if record.txn is None
        and record.node in nodes
        and start <= sort_time(record, convention) <= end
    ]
    return own + context


def first_error(events: list[Record], convention: str) -> Record | None:
    errors = [record for record in events if record.error]
    return min(
        errors,
        key=lambda record: (sort_time(record, convention), record.path, record.line),
        default=None,
    )


@pytest.fixture(scope="module", params=NAMES)
def incident(request: pytest.FixtureRequest) -> tuple[str, list[Record], list[Expected]]:
    name: str = request.param
    return name, read_incident(name), read_expected(name)


def test_full_incident_covers_required_scenarios() -> None:
    rows = read_expected(NAMES[0])
    failed = [row for row in rows if row.status == "failed"]
    succeeded = [row for row in rows if row.status == "succeeded"]
    nodes = [path for path in (INCIDENTS / NAMES[0]).iterdir() if path.is_dir()]

    assert len(rows) >= 12
    assert len(succeeded) >= 4
    assert {row.cause for row in failed} >= set(SIGNATURES)
    assert len(nodes) >= 6
    assert any(len(row.nodes) == 2 for row in failed)


def test_full_incident_has_rotated_files() -> None:
    root = INCIDENTS / NAMES[0]

    assert list(root.glob("*/installer.log.1"))
    assert list(root.glob("*/audit.log.1.gz"))
    assert list(root.glob("*/syslog"))
    assert list(root.glob("*/kern.log"))


def test_every_node_has_the_three_main_logs(
    incident: tuple[str, list[Record], list[Expected]],
) -> None:
    name, _, _ = incident
    for folder in (INCIDENTS / name).iterdir():
        if folder.is_dir():
            names = {path.name for path in folder.iterdir()}
            assert {"installer.log", "audit.log", "journal.json"} <= names, folder.name


def test_expected_lists_every_transaction(
    incident: tuple[str, list[Record], list[Expected]],
) -> None:
    _, records, expected = incident
    found = {record.txn for record in records if record.txn is not None}

    assert found == {row.txn for row in expected}


def test_expected_nodes_match_the_logs(incident: tuple[str, list[Record], list[Expected]]) -> None:
    _, records, expected = incident
    for row in expected:
        nodes = sorted({record.node for record in records if record.txn == row.txn})
        assert nodes == row.nodes, row.txn


@pytest.mark.parametrize("convention", ["realtime", "source-realtime"])
def test_first_error_matches_expected(
    incident: tuple[str, list[Record], list[Expected]], convention: str
) -> None:
    _, records, expected = incident
    for row in expected:
        found = first_error(window_events(records, row.txn, convention), convention)
        if row.status == "succeeded":
            assert found is None, f"{row.txn}: unexpected error at {found.origin if found else ''}"
        else:
            assert found is not None, row.txn
            assert found.origin == row.origin, row.txn


def test_first_error_carries_cause_signature(
    incident: tuple[str, list[Record], list[Expected]],
) -> None:
    _, records, expected = incident
    by_origin = {record.origin: record for record in records}
    for row in expected:
        if row.status == "failed":
            assert SIGNATURES[row.cause] in by_origin[row.origin].text, row.txn


def test_denials_precede_installer_error_by_milliseconds(
    incident: tuple[str, list[Record], list[Expected]],
) -> None:
    _, records, expected = incident
    by_origin = {record.origin: record for record in records}
    for row in expected:
        if row.cause not in ("perm.selinux_avc", "perm.apparmor_denied"):
            continue
        denial = by_origin[row.origin]
        installer = [
            record
            for record in records
            if record.txn == row.txn and record.path.endswith("installer.log") and record.error
        ]
        gap_us = installer[0].time_us - denial.time_us
        assert 0 < gap_us < 100_000, row.txn
        assert "permission denied" in installer[0].text
        assert not re.search(r"selinux|apparmor|avc", installer[0].text, re.IGNORECASE)


def test_audit_serials_increase_per_node(
    incident: tuple[str, list[Record], list[Expected]],
) -> None:
    _, records, _ = incident
    audit = [record for record in records if record.fields.get("type")]
    for node in {record.node for record in audit}:
        ordered = sorted(
            (record for record in audit if record.node == node),
            key=lambda record: (record.time_us, int(record.fields["serial"])),
        )
        serials = [int(record.fields["serial"]) for record in ordered]
        assert serials == sorted(serials), node


def test_journal_values_are_strings(incident: tuple[str, list[Record], list[Expected]]) -> None:
    _, records, _ = incident
    for record in records:
        if record.path.endswith("journal.json"):
            assert all(isinstance(value, str) for value in record.fields.values()), record.origin
            assert record.fields["_HOSTNAME"] == record.node


def test_noise_errors_outside_every_window() -> None:
    records = read_incident(NAMES[0])
    expected = read_expected(NAMES[0])
    inside = {
        id(record) for row in expected for record in window_events(records, row.txn, "realtime")
    }
    noise = [
        record
        for record in records
        if record.error
        and record.txn is None
        and id(record) not in inside
        and not record.path.endswith(("syslog", "kern.log"))
    ]

    assert any(record.path.endswith("audit.log") for record in noise)
    assert any(record.path.endswith("journal.json") for record in noise)


def test_generator_reproduces_committed_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = importlib.util.spec_from_file_location("delve_rollout", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(
        sys.modules, "delve_rollout", module
    )  # dataclasses look the module up by name
    spec.loader.exec_module(module)

    module.main([str(tmp_path)])

    for name in NAMES:
        generated = sorted(
            path.relative_to(tmp_path / name)
            for path in (tmp_path / name).rglob("*")
            if path.is_file()
        )
        for relative in generated:
            committed = INCIDENTS / name / relative
            assert committed.read_bytes() == (tmp_path / name / relative).read_bytes(), str(
                relative
            )
