"""Damaged incident folders: read without a crash, every damage reported, no line lost."""

from __future__ import annotations

import collections
import csv
import importlib.util
import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from rca.kb import KnowledgeBase, load_knowledge_base
from rca.model import Investigation
from rca.pipeline import investigate
from rca.report.render import render
from rca.settings import Settings
from rca.sources.files import FileSettings, read_paths

REPO = Path(__file__).resolve().parents[1]
INCIDENTS = REPO / "fixtures" / "incidents"
DAMAGED = INCIDENTS / "2026-12-11-damaged"
GENERATOR = REPO / "fixtures" / "generate" / "damaged.py"

# Every damaged file of the incident and the words its report entry must contain.
DAMAGE = {
    "app-02/installer.log": ["4096 NUL byte(s) removed", "line 9 has no line ending"],
    "app-02/installer-agent.log": ["2 line(s) with invalid UTF-8"],
    "app-02/installer-debug.log": ["1 line(s) longer than 1048576 bytes were cut"],
    "app-02/audit.log.1.gz": ["read stopped after line 233"],
    "app-02/core.fleet-agent.8127": ["binary file"],
    "app-02/kern.log": ["empty file"],
    "app-02/locked.log": ["permission denied"],
    "app-02/loop.log": ["broken or looping symbolic link"],
    "app-02/again": ["folder already read (symbolic link loop)"],
}
UNDAMAGED = ["app-01/installer.log", "app-01/audit.log", "app-01/journal.json",
             "app-02/installer.log.1"]


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge_base()


@pytest.fixture
def incident(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the damaged incident plus what version control cannot hold."""
    copy = tmp_path / DAMAGED.name
    shutil.copytree(DAMAGED, copy)
    locked = copy / "app-02" / "locked.log"
    locked.write_text('2026-12-11T09:20:00.000Z INFO txn=run-0403 msg="not readable"\n')
    locked.chmod(0)
    (copy / "app-02" / "loop.log").symlink_to("loop.log")
    (copy / "app-02" / "again").symlink_to(copy / "app-02")

    if os.access(locked, os.R_OK):
        # Running as root: permissions do not stop reading, so opening fails on purpose.
        real_open = Path.open

        def deny(self: Path, *args: object, **kwargs: object) -> object:
            if self == locked:
                raise PermissionError(13, "Permission denied", str(self))
            return real_open(self, *args, **kwargs)  # type: ignore[call-overload]

        monkeypatch.setattr(Path, "open", deny)
    return copy


@pytest.fixture
def result(incident: Path, kb: KnowledgeBase) -> Investigation:
    return investigate([str(incident)], Settings(), kb)


def file_lines(path: Path) -> list[str]:
    text = path.read_bytes().decode("utf-8")
    lines = text.split("\n")
    return lines[:-1] if text.endswith("\n") else lines


def test_generator_reproduces_committed_files(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    spec = importlib.util.spec_from_file_location("damaged", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "damaged", module)
    spec.loader.exec_module(module)

    module.main([str(tmp_path)])

    generated = sorted(path.relative_to(tmp_path / DAMAGED.name)
                       for path in (tmp_path / DAMAGED.name).rglob("*") if path.is_file())
    assert len(generated) == 12
    for relative in generated:
        assert (DAMAGED / relative).read_bytes() == \
            (tmp_path / DAMAGED.name / relative).read_bytes(), str(relative)


@pytest.mark.parametrize(("path", "reasons"), DAMAGE.items(), ids=list(DAMAGE))
def test_damage_named_in_markdown(result: Investigation, kb: KnowledgeBase, path: str,
                                  reasons: list[str]) -> None:
    report = render(result, kb, format="md", lang="en")
    quality = report[report.index("## Data quality"):]
    display = f"`{DAMAGED.name}/{path}`"

    entries = [line for line in quality.splitlines() if display in line]
    for reason in reasons:
        assert any(reason in entry for entry in entries), (reason, entries)


@pytest.mark.parametrize(("path", "reasons"), DAMAGE.items(), ids=list(DAMAGE))
def test_damage_named_in_json(result: Investigation, kb: KnowledgeBase, path: str,
                              reasons: list[str]) -> None:
    document = json.loads(render(result, kb, format="json", lang="en"))
    files = {entry["path"]: entry for entry in document["data_quality"]["files"]}

    entry = files[f"{DAMAGED.name}/{path}"]
    texts = [entry["skipped_reason"] or "", *entry["warnings"]]
    for reason in reasons:
        assert any(reason in text for text in texts), (reason, texts)


@pytest.mark.parametrize("path", UNDAMAGED)
def test_undamaged_file_keeps_every_line(incident: Path, path: str) -> None:
    events, stats = read_paths([incident], FileSettings())
    (file_stats,) = [item for item in stats if item.path == f"{DAMAGED.name}/{path}"]
    lines = file_lines(DAMAGED / path)

    read = collections.Counter(line for event in events
                               if event.origin.path == file_stats.path
                               for line in event.raw.split("\n"))
    assert file_stats.lines_read == len(lines)
    assert file_stats.unparsed == 0
    assert file_stats.warnings == []
    assert not read - collections.Counter(lines)
    assert sum(read.values()) + file_stats.duplicates == \
        len([line for line in lines if line.strip()])


def test_damaged_files_still_give_their_records(incident: Path) -> None:
    events, _ = read_paths([incident], FileSettings())
    by_file = collections.defaultdict(list)
    for event in events:
        by_file[event.origin.path.removeprefix(DAMAGED.name + "/")].append(event)

    agent = by_file["app-02/installer-agent.log"]
    assert agent[1].message == "ignoring /home/andr\ufffd/.config/fleet.toml: not owned by root"
    debug = by_file["app-02/installer-debug.log"]
    assert [event.fields.get("truncated") for event in debug] == [None, True, None]
    current = by_file["app-02/installer.log"]
    assert current[0].origin.line == 1
    assert current[0].message == "go: downloading github.com/go-delve/delve v1.24.0"
    assert len(by_file["app-02/audit.log.1.gz"]) == 233


def test_expected_runs_of_damaged_incident(result: Investigation) -> None:
    with (DAMAGED / "EXPECTED.tsv").open(newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    found = {}
    for txn in result.transactions:
        first = ""
        if txn.first_error is not None:
            first = str(txn.first_error.origin).removeprefix(DAMAGED.name + "/")
        cause = txn.diagnosis.cause if txn.diagnosis else ""
        found[txn.id] = ("failed" if txn.failed else "succeeded", ",".join(txn.nodes), first,
                         cause)

    assert found == {row["txn"]: (row["status"], row["nodes"], row["first_error_origin"],
                                  row["cause"]) for row in rows}


INCIDENT_FOLDERS = sorted(path for path in INCIDENTS.iterdir() if path.is_dir())


@pytest.mark.parametrize("folder", INCIDENT_FOLDERS, ids=[path.name for path in INCIDENT_FOLDERS])
def test_every_fixture_accounts_for_every_line(folder: Path) -> None:
    _, stats = read_paths([folder], FileSettings())

    assert stats
    for item in stats:
        total = item.parsed + item.unparsed + item.continuation + item.duplicates
        assert item.lines_read == total, item
        assert min(item.parsed, item.unparsed, item.continuation, item.duplicates) >= 0, item
        if item.skipped is not None:
            assert item.lines_read == 0, item
