"""Loading rule files into a knowledge base, and describing diagnoses."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from rca.kb import KnowledgeBase, RuleFileError, load_knowledge_base
from rca.model import Diagnosis

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"

GOOD = '''
cause net.sample {
    title en "Host {host} not found"
    title zh-CN "找不到主机 {host}"
    explanation en "The name does not resolve."
    explanation zh-CN "该名称无法解析。"
    rule lookup when message ~ /lookup (?P<host>\\S+): no such host/
    fix en "Check {host} on {node}." command "getent hosts {host}"
    fix zh-CN "在 {node} 上检查 {host}。" command "getent hosts {host}"
    reference "https://example.com/dns"
    example match "lookup a.example: no such host"
}
'''

OTHER = '''
cause net.other {
    title en "Other"
    title zh-CN "其他"
    explanation en "Other."
    explanation zh-CN "其他。"
    outranks net.sample
    rule other when message contains "other"
    fix en "Do it."
    fix zh-CN "去做。"
    example match "other"
}
'''


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def shipped() -> KnowledgeBase:
    return load_knowledge_base()


def test_shipped_knowledge_base_has_no_problems(shipped: KnowledgeBase) -> None:
    assert [problem.render("en") for problem in shipped.problems] == []


def test_shipped_files_per_area(shipped: KnowledgeBase) -> None:
    assert shipped.sources == ["apt.rca", "go.rca", "network.rca", "permissions.rca", "system.rca"]


def _published_causes() -> list[str]:
    table = SHARED / "cases" / "CAUSES.tsv"
    if not table.exists():
        pytest.skip(f"{table} is not available")
    with open(table, newline="", encoding="utf-8") as handle:
        return [row["cause"] for row in csv.DictReader(handle, delimiter="\t")
                if row["cause"] != "unknown"]


def test_every_published_cause_exists(shipped: KnowledgeBase) -> None:
    missing = [cause for cause in _published_causes() if cause not in shipped.causes]

    assert missing == []


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_every_cause_is_written_in(shipped: KnowledgeBase, lang: str) -> None:
    for cause in shipped.causes.values():
        assert cause.titles.get(lang), cause.id
        assert cause.explanations.get(lang), cause.id
        assert any(fix.lang == lang for fix in cause.fixes), cause.id


def test_broken_file_keeps_other_files(tmp_path: Path) -> None:
    good = _write(tmp_path, "a.rca", GOOD)
    bad = _write(tmp_path, "b.rca", "cause bad.one {\n  rule r when message ~ /x\n}\n")

    kb = load_knowledge_base([good, bad])

    assert list(kb.causes) == ["net.sample"]
    assert [(problem.path, problem.code) for problem in kb.problems] == \
        [(str(bad), "unterminated-regex")]


def test_strict_raises_with_every_problem(tmp_path: Path) -> None:
    text = "cause a.b { rule r when kind = x }\ncause c.d { rule r when }\n"
    bad = _write(tmp_path, "b.rca", text)

    with pytest.raises(RuleFileError) as raised:
        load_knowledge_base([bad], strict=True)

    assert [problem.code for problem in raised.value.problems] == ["bad-kind", "condition-expected"]


def test_no_cause_left_raises(tmp_path: Path) -> None:
    bad = _write(tmp_path, "b.rca", "cause a.b {")

    with pytest.raises(RuleFileError):
        load_knowledge_base([bad])


def test_unreadable_file_is_a_problem(tmp_path: Path) -> None:
    good = _write(tmp_path, "a.rca", GOOD)
    missing = tmp_path / "missing.rca"

    kb = load_knowledge_base([good, missing])

    assert [problem.code for problem in kb.problems] == ["unreadable-file"]
    assert kb.problems[0].render("en").startswith(f"{missing}: error: cannot read")


def test_folder_loads_rule_files_in_name_order(tmp_path: Path) -> None:
    _write(tmp_path, "b.rca", GOOD)
    _write(tmp_path, "a.rca", OTHER)
    _write(tmp_path, "notes.txt", "not a rule file")

    kb = load_knowledge_base([tmp_path])

    assert [Path(source).name for source in kb.sources] == ["a.rca", "b.rca"]
    assert list(kb.causes) == ["net.other", "net.sample"]


def test_duplicate_cause_keeps_first(tmp_path: Path) -> None:
    first = _write(tmp_path, "a.rca", GOOD)
    second = _write(tmp_path, "b.rca", GOOD.replace("Host {host}", "Again {host}"))

    kb = load_knowledge_base([first, second])

    assert kb.causes["net.sample"].titles["en"] == "Host {host} not found"
    assert [problem.code for problem in kb.problems] == ["duplicate-cause"]


def test_unknown_outranks_target(tmp_path: Path) -> None:
    text = GOOD.replace("rule lookup", "outranks net.gone\n    rule lookup")
    path = _write(tmp_path, "a.rca", text)

    kb = load_knowledge_base([path])

    assert [problem.code for problem in kb.problems] == ["unknown-cause-ref"]
    assert kb.causes["net.sample"].outranks == ()


def test_outranks_cycle_is_broken(tmp_path: Path) -> None:
    sample = GOOD.replace("rule lookup", "outranks net.other\n    rule lookup")
    path = _write(tmp_path, "a.rca", sample + OTHER)

    kb = load_knowledge_base([path])

    assert [problem.code for problem in kb.problems] == ["outranks-cycle"]
    assert kb.problems[0].params["cycle"] in ("net.other -> net.sample -> net.other",
                                              "net.sample -> net.other -> net.sample")


def test_outranks_is_transitive(tmp_path: Path) -> None:
    third = OTHER.replace("net.other", "net.third").replace("outranks net.sample",
                                                             "outranks net.other")
    path = _write(tmp_path, "a.rca", GOOD + OTHER + third)

    kb = load_knowledge_base([path])
    third_rule = kb.causes["net.third"].rules[0]

    assert kb.outranks(third_rule, "net.sample")
    assert not kb.outranks(kb.causes["net.sample"].rules[0], "net.third")


@pytest.mark.parametrize(("change", "code"), [
    (('title zh-CN "找不到主机 {host}"', ""), "missing-text"),
    (('fix zh-CN "在 {node} 上检查 {host}。" command "getent hosts {host}"', ""), "missing-text"),
    (("Check {host}", "Check {hots}"), "unknown-placeholder"),
], ids=["title", "fix", "placeholder"])
def test_incomplete_cause_still_loads(tmp_path: Path, change: tuple[str, str], code: str) -> None:
    path = _write(tmp_path, "a.rca", GOOD.replace(*change))

    kb = load_knowledge_base([path])

    assert [problem.code for problem in kb.problems] == [code]
    assert "net.sample" in kb.causes


def test_content_hash_follows_text(tmp_path: Path) -> None:
    path = _write(tmp_path, "a.rca", GOOD)
    before = load_knowledge_base([path]).content_hash

    path.write_text(GOOD.replace("Host", "Name"), encoding="utf-8")

    assert load_knowledge_base([path]).content_hash != before


@pytest.fixture()
def sample_kb(tmp_path: Path) -> KnowledgeBase:
    return load_knowledge_base([_write(tmp_path, "a.rca", GOOD)])


def test_describe_fills_values(sample_kb: KnowledgeBase) -> None:
    diagnosis = Diagnosis("net.sample", 0.9, "rule:net.sample/lookup",
                          values={"host": "db.example", "node": "node-02"})

    text = sample_kb.describe(diagnosis, "en")

    assert text.title == "Host db.example not found"
    assert text.fixes[0].text == "Check db.example on node-02."
    assert text.fixes[0].command == "getent hosts db.example"
    assert text.references == ["https://example.com/dns"]


def test_describe_in_chinese(sample_kb: KnowledgeBase) -> None:
    diagnosis = Diagnosis("net.sample", 0.9, "rule:x", values={"host": "db.example"})

    text = sample_kb.describe(diagnosis, "zh-CN")

    assert text.title == "找不到主机 db.example"
    assert text.fixes[0].text == "在 <node> 上检查 db.example。"


def test_describe_quotes_values_in_commands(sample_kb: KnowledgeBase) -> None:
    diagnosis = Diagnosis("net.sample", 0.9, "rule:x", values={"host": "a.example; rm -rf /"})

    command = sample_kb.describe(diagnosis, "en").fixes[0].command

    assert command == "getent hosts 'a.example; rm -rf /'"


def test_describe_unknown(sample_kb: KnowledgeBase) -> None:
    text = sample_kb.describe(Diagnosis("unknown", 0.0, "none"), "zh-CN")

    assert text.title == "原因未知"
    assert text.fixes == []
