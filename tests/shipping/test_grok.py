"""Tests for the grok-to-Python translator used to check the shipped pipelines."""

from __future__ import annotations

import pytest

from rca.testing.grok import GrokError, GrokProcessor, compile_grok


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-03T01:04:35.164Z", "2026-12-03T01:04:35.164Z"),
        ("2026-12-03 02:14:07,123", "2026-12-03 02:14:07,123"),
        ("2026-12-03T10:14:07+08:00", "2026-12-03T10:14:07+08:00"),
        ("2026-12-03T02:14:07Z", "2026-12-03T02:14:07Z"),
    ],
    ids=["canonical", "space-comma", "offset", "no-fraction"],
)
def test_timestamp_iso8601_variants(text: str, expected: str) -> None:
    grok = compile_grok(r"^%{TIMESTAMP_ISO8601:ts}$")

    assert grok.match(text) == {"ts": expected}


@pytest.mark.parametrize(
    "level", ["INFO", "WARN", "ERROR", "FATAL", "error", "warn", "Notice", "DEBUG"]
)
def test_loglevel_accepts_installer_levels(level: str) -> None:
    assert compile_grok(r"^%{LOGLEVEL:level}$").match(level) == {"level": level}


def test_typed_capture_is_converted() -> None:
    assert compile_grok(r"exit=%{INT:code:long}").match("x exit=100 y") == {"code": 100}


def test_number_capture_keeps_fraction() -> None:
    assert compile_grok(r"%{NUMBER:epoch}").match("audit(1796262100.229:71070)") == {
        "epoch": "1796262100.229"
    }


def test_oniguruma_named_group_is_translated() -> None:
    grok = compile_grok(r"msg=(?<_tmp.msg>\S+)")

    assert grok.match("a msg=hello") == {"_tmp.msg": "hello"}


def test_custom_definition_is_used() -> None:
    grok = compile_grok(r'msg="%{QUOTED:msg}"', {"QUOTED": r'(?:[^"\\]|\\.)*'})

    assert grok.match(r'msg="say \"hi\""') == {"msg": r"say \"hi\""}


def test_unknown_pattern_raises() -> None:
    with pytest.raises(GrokError, match="MISSING"):
        compile_grok(r"%{MISSING:x}")


def test_recursive_definition_raises() -> None:
    with pytest.raises(GrokError, match="nests deeper"):
        compile_grok(r"%{LOOP}", {"LOOP": r"a%{LOOP}"})


def test_invalid_regex_raises() -> None:
    with pytest.raises(GrokError, match="not a valid regex"):
        compile_grok(r"(unclosed")


def test_optional_group_left_out_when_absent() -> None:
    grok = compile_grok(r"^(?:node=%{NOTSPACE:node} )?type=%{WORD:type}")

    assert grok.match("type=AVC") == {"type": "AVC"}


def test_search_is_unanchored() -> None:
    assert compile_grok(r"step=%{NOTSPACE:step}").match("x step=fetch y") == {"step": "fetch"}


def test_processor_uses_first_matching_pattern() -> None:
    processor = GrokProcessor.from_processor(
        {"patterns": [r"^a=%{WORD:first}", r"b=%{WORD:second}"]}
    )

    assert processor.match("a=1 b=2") == {"first": "1"}
    assert processor.match("c=0 b=2") == {"second": "2"}
    assert processor.match("c=0") is None


def test_processor_without_patterns_raises() -> None:
    with pytest.raises(GrokError, match="patterns"):
        GrokProcessor.from_processor({"field": "message"})
