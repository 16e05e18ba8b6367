"""Tests for shipping/filebeat/filebeat.yml: structure, ids, multiline grouping."""

# Log lines in the test tables are kept whole so they read as in the log files.
# ruff: noqa: E501

from __future__ import annotations

import fnmatch
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import FILEBEAT, FIXTURE, load_json

PIPELINE_FILES = {
    "rca-installer": "ingest-pipeline-installer.json",
    "rca-journald": "ingest-pipeline-journald.json",
    "rca-audit": "ingest-pipeline-audit.json",
}


def inputs_of(config: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [item for item in config["filebeat.inputs"] if item["type"] == kind]


def multiline_groups(lines: list[str], options: dict[str, Any]) -> list[list[str]]:
    """Group lines as Filebeat's pattern multiline parser with match: after does."""
    pattern = re.compile(options["pattern"])
    groups: list[list[str]] = []
    for line in lines:
        starts = bool(pattern.search(line)) == options["negate"]
        if starts or not groups:
            groups.append([line])
        else:
            groups[-1].append(line)
    return groups


def test_every_input_has_unique_id(filebeat_config: dict[str, Any]) -> None:
    ids = [item["id"] for item in filebeat_config["filebeat.inputs"]]

    assert all(ids)
    assert len(ids) == len(set(ids))


def test_installer_input_uses_multiline_after(filebeat_config: dict[str, Any]) -> None:
    (installer,) = inputs_of(filebeat_config, "filestream")
    (parser,) = installer["parsers"]

    assert parser["multiline"]["type"] == "pattern"
    assert parser["multiline"]["negate"] is True
    assert parser["multiline"]["match"] == "after"
    assert installer["pipeline"] == "rca-installer"


@pytest.mark.parametrize(
    "path",
    sorted(FIXTURE.glob("*/installer.log*")),
    ids=lambda path: path.parent.name + "/" + path.name,
)
def test_multiline_groups_match_installer_records(
    filebeat_config: dict[str, Any], path: Path
) -> None:
    (installer,) = inputs_of(filebeat_config, "filestream")
    options = installer["parsers"][0]["multiline"]
    lines = path.read_text(encoding="utf-8").splitlines()
    record = re.compile(r"^(?:\d{4}-\d{2}-\d{2}T|ts=)")

    groups = multiline_groups(lines, options)

    assert len(groups) == sum(1 for line in lines if record.match(line))
    assert all(record.match(group[0]) for group in groups)
    assert max(len(group) for group in groups) <= options["max_lines"]


@pytest.mark.parametrize(
    "line",
    [
        "2026-12-03T02:14:07.123Z ERROR txn=run-0042 msg=x",
        "2026-12-03 02:14:07,123 ERROR txn=run-0042 msg=x",
        "2026-12-03T10:14:07+08:00 [error] txn=run-0042 msg=x",
        "ts=2026-12-03T02:14:07Z level=error txn=run-0042 msg=x",
        "time=2026-12-03T02:14:07Z level=error txn=run-0042 msg=x",
    ],
    ids=["canonical", "space-comma", "bracketed", "logfmt-ts", "logfmt-time"],
)
def test_multiline_pattern_starts_each_variant(filebeat_config: dict[str, Any], line: str) -> None:
    (installer,) = inputs_of(filebeat_config, "filestream")

    assert re.search(installer["parsers"][0]["multiline"]["pattern"], line)


@pytest.mark.parametrize(
    "line",
    [
        "  Temporary failure resolving 'deb.debian.org'",
        "note: module requires Go 1.21",
        "/root/go/pkg/mod/github.com/go-delve/delve@v1.24.0/pkg/proc/eval.go:2391:11: undefined: max",
    ],
    ids=["indented", "note", "path"],
)
def test_multiline_pattern_continues_other_lines(
    filebeat_config: dict[str, Any], line: str
) -> None:
    (installer,) = inputs_of(filebeat_config, "filestream")

    assert not re.search(installer["parsers"][0]["multiline"]["pattern"], line)


def test_journald_inputs_match_fleet_programs_and_systemd(filebeat_config: dict[str, Any]) -> None:
    matches = [
        match
        for item in inputs_of(filebeat_config, "journald")
        for match in item["include_matches.match"]
    ]

    assert "SYSLOG_IDENTIFIER=fleet-install" in matches
    assert "SYSLOG_IDENTIFIER=fleet-agent" in matches
    assert "SYSLOG_IDENTIFIER=fleet-dispatcher" in matches
    assert "_SYSTEMD_UNIT=init.scope" in matches


def test_each_journald_input_matches_one_field(filebeat_config: dict[str, Any]) -> None:
    # journalctl ANDs matches on different fields, so one input must not mix them.
    for item in inputs_of(filebeat_config, "journald"):
        fields = {match.split("=", 1)[0] for match in item["include_matches.match"]}
        assert len(fields) == 1, item["id"]


def test_auditd_module_enabled(filebeat_config: dict[str, Any]) -> None:
    (module,) = filebeat_config["filebeat.modules"]

    assert module["module"] == "auditd"
    assert module["log"]["enabled"] is True


def test_pipelines_named_in_config_exist(filebeat_config: dict[str, Any]) -> None:
    named = {item["pipeline"] for item in filebeat_config["filebeat.inputs"] if "pipeline" in item}

    assert named
    for name in named:
        assert (FILEBEAT / PIPELINE_FILES[name]).is_file(), name


def test_output_index_matches_template(filebeat_config: dict[str, Any]) -> None:
    template = load_json("index-template.json")
    index = filebeat_config["output.elasticsearch"]["index"]

    assert any(fnmatch.fnmatch(index, pattern) for pattern in template["index_patterns"])
    assert filebeat_config["setup.template.enabled"] is False


def test_output_default_host_is_local(filebeat_config: dict[str, Any]) -> None:
    (hosts,) = filebeat_config["output.elasticsearch"]["hosts"]

    assert hosts == "${RCA_ES_HOSTS:http://127.0.0.1:9200}"
