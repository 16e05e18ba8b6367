"""Localized labels and the diagnosis line of ``rca diagnose``."""

# ruff: noqa: RUF001  # Chinese text uses full-width punctuation on purpose

from __future__ import annotations

import dataclasses

import pytest

from rca.model import Diagnosis
from rca.report.render import format_diagnosis_line
from rca.report.view import clock_label, decided_by_label, remedy_label

from .report_fixtures import T0, FakeCauseText, FakeKnowledgeBase, avc_run


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
