"""Localized labels and the diagnosis line of ``rca diagnose``."""

# Chinese text uses full-width punctuation on purpose

from __future__ import annotations

import dataclasses

import pytest

from rca.model import Diagnosis
from rca.report.environment import html_path_code, join_list
from rca.report.render import format_diagnosis_line
from rca.report.view import (
    build_report,
    clock_label,
    decided_by_label,
    duration_label,
    remedy_label,
)

from .report_fixtures import T0, FakeCauseText, FakeKnowledgeBase, avc_run, build_investigation


@pytest.mark.parametrize(
    ("decided_by", "lang", "expected"),
    [
        ("rule:go_proxy_410", "en", "rule go_proxy_410"),
        ("rule:go_proxy_410", "zh-CN", "规则 go_proxy_410"),
        ("classifier", "en", "classifier"),
        ("classifier", "zh-CN", "分类器"),
        ("none", "en", "no rule or classifier"),
        ("none", "zh-CN", "无匹配的规则或分类器"),
        ("manual:\x1b[31m", "en", "manual:"),
    ],
    ids=["rule-en", "rule-zh", "classifier-en", "classifier-zh", "none-en", "none-zh", "other"],
)
def test_decided_by_label(decided_by: str, lang: str, expected: str) -> None:
    assert decided_by_label(decided_by, lang) == expected


@pytest.mark.parametrize(
    ("remedy", "lang", "expected"),
    [("auto", "en", "safe to automate"), ("manual", "en", "needs a person"),
     ("auto", "zh-CN", "可自动修复"), ("manual", "zh-CN", "需人工处理")],
    ids=["auto-en", "manual-en", "auto-zh", "manual-zh"],
)
def test_remedy_label(remedy: str, lang: str, expected: str) -> None:
    assert remedy_label(remedy, lang) == expected


def test_clock_label() -> None:
    assert clock_label(T0 + 5.0015) == "2026-12-03 02:14:05.001"
    assert clock_label(T0, with_date=False) == "02:14:00.000"
    assert clock_label(None) == "—"


def test_diagnosis_line_english(kb: FakeKnowledgeBase) -> None:
    diagnosis = avc_run().diagnosis
    assert diagnosis is not None

    line = format_diagnosis_line("logs/build.txt", diagnosis, kb, "en")

    assert line == (
        "logs/build.txt: SELinux denied the access (perm.selinux_avc), confidence 92%, "
        "decided by rule selinux_avc; fix: restorecon -Rv /usr/local/go/bin"
    )


def test_diagnosis_line_chinese(kb: FakeKnowledgeBase) -> None:
    diagnosis = avc_run().diagnosis
    assert diagnosis is not None

    line = format_diagnosis_line("logs/build.txt", diagnosis, kb, "zh-CN")

    assert line == (
        "logs/build.txt：SELinux 拒绝了访问（perm.selinux_avc），置信度 92%，"
        "判定依据：规则 selinux_avc；修复建议：restorecon -Rv /usr/local/go/bin"
    )


def test_diagnosis_line_unknown_has_no_fix(kb: FakeKnowledgeBase) -> None:
    diagnosis = Diagnosis(cause="unknown", confidence=0.0, decided_by="none")

    line = format_diagnosis_line("-", diagnosis, kb, "en")

    assert line == (
        "-: Unknown cause (unknown), confidence 0%, decided by no rule or classifier"
    )


def test_diagnosis_line_fix_text_without_command(kb: FakeKnowledgeBase) -> None:
    class OneFixText(FakeKnowledgeBase):
        def describe(self, diagnosis: Diagnosis, lang: str) -> FakeCauseText:
            text = super().describe(diagnosis, lang)
            return dataclasses.replace(text, fixes=text.fixes[1:])

    diagnosis = avc_run().diagnosis
    assert diagnosis is not None

    line = format_diagnosis_line("a.log", diagnosis, OneFixText(), "en")

    assert line.endswith("; fix: Check the audit log for other denials")


def test_diagnosis_line_neutralizes_terminal_escapes(kb: FakeKnowledgeBase) -> None:
    diagnosis = Diagnosis(cause="unknown", confidence=0.5, decided_by="classifier")

    line = format_diagnosis_line("evil\x1b]0;owned\x07\nname.log", diagnosis, kb, "en")

    assert "\x1b" not in line
    assert "\n" not in line
    assert line.startswith("evil name.log: ")


@pytest.mark.parametrize(
    ("seconds", "lang", "expected"),
    [
        (0.372, "en", "372 ms"),
        (30.372, "en", "30 s"),
        (67.0, "en", "1 min 7 s"),
        (120.2, "en", "2 min"),
        (3725.0, "en", "1 h 2 min 5 s"),
        (16.0, "zh-CN", "16 秒"),
        (0.5, "zh-CN", "500 毫秒"),
    ],
    ids=["ms", "seconds", "minutes-seconds", "whole-minutes", "hours", "zh-seconds", "zh-ms"],
)
def test_duration_label(seconds: float, lang: str, expected: str) -> None:
    assert duration_label(seconds, lang) == expected


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_generated_label_iso_like(lang: str) -> None:
    report = build_report(build_investigation(), FakeKnowledgeBase(), lang)

    assert report.generated_at == "2026-12-03 03:14:00 UTC"


def test_rule_alternatives_outranked() -> None:
    report = build_report(build_investigation(), FakeKnowledgeBase(), "en")
    diagnosis = report.failed_runs[0].diagnosis

    assert diagnosis is not None
    assert diagnosis.outranked
    assert diagnosis.alternatives == [("perm.denied", "")]


def test_classifier_alternatives_keep_scores() -> None:
    investigation = build_investigation()
    first = investigation.transactions[0]
    assert first.diagnosis is not None
    first.diagnosis.decided_by = "classifier"

    diagnosis = build_report(investigation, FakeKnowledgeBase(), "en").failed_runs[0].diagnosis

    assert diagnosis is not None
    assert not diagnosis.outranked
    assert diagnosis.alternatives == [("perm.denied", "6%")]


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("en", "`a`, `b`, and `c`"), ("zh-CN", "`a`、`b`、`c`")],
    ids=["en", "zh"],
)
def test_join_list_by_language(lang: str, expected: str) -> None:
    assert join_list(["`a`", "`b`", "`c`"], lang) == expected


def test_html_path_code_breaks_only_after_slash() -> None:
    code = html_path_code("dir-<x>/node-01/install.log:3")

    assert code == (
        '<code class="path"><span>dir-&lt;x&gt;/</span><wbr><span>node-01/</span><wbr>'
        "<span>install.log:3</span></code>"
    )
