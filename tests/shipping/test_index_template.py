"""Check the ECS mapping in shipping/filebeat/index-template.json."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import load_json

TEMPLATE = load_json("index-template.json")


def mapping_of(path: str) -> dict[str, Any]:
    node: dict[str, Any] = TEMPLATE["template"]["mappings"]
    for part in path.split("."):
        node = node["properties"][part]
    return node


@pytest.mark.parametrize(
    ("field", "kind"),
    [
        ("@timestamp", "date_nanos"),
        ("message", "match_only_text"),
        ("transaction.id", "keyword"),
        ("host.name", "keyword"),
        ("log.level", "keyword"),
        ("log.offset", "long"),
        ("event.kind", "keyword"),
        ("event.sequence", "long"),
        ("process.exit_code", "long"),
        ("installer.step", "keyword"),
        ("auditd.log.record_type", "keyword"),
        ("auditd.log.sequence", "long"),
        ("auditd.log.scontext", "keyword"),
        ("auditd.log.tcontext", "keyword"),
        ("auditd.log.tclass", "keyword"),
        ("auditd.log.apparmor", "keyword"),
        ("journald.custom.transaction_id", "keyword"),
        ("systemd.unit", "keyword"),
    ],
)
def test_field_type(field: str, kind: str) -> None:
    assert mapping_of(field)["type"] == kind


def test_is_data_stream_above_builtin_priority() -> None:
    assert "data_stream" in TEMPLATE
    assert TEMPLATE["priority"] > 100
    assert TEMPLATE["index_patterns"] == ["rca-logs-*"]


def test_event_original_not_indexed() -> None:
    original = mapping_of("event.original")

    assert original["index"] is False
    assert original["doc_values"] is False


def test_strings_default_to_keyword() -> None:
    (rule,) = TEMPLATE["template"]["mappings"]["dynamic_templates"]

    assert rule["strings_as_keyword"]["mapping"]["type"] == "keyword"
