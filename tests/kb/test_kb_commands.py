"""The `rca kb` command functions: check, test, evaluate, explain, unknowns."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from rca import kbcli
from rca.kb.parser import parse_rule_file

RULES = '''
cause net.sample {
    title en "Host not found"
    title zh-CN "找不到主机"
    explanation en "The name does not resolve."
    explanation zh-CN "该名称无法解析。"
    rule lookup when message ~ /lookup (?P<host>\\S+): no such host/
    fix en "Check {host}."
    fix zh-CN "检查 {host}。"
    example match "lookup a.example: no such host"
    example match "lookup b.example: no such host"
    example match "lookup c.example: no such host"
    example nomatch "connection refused"
}

cause net.refused {
    title en "Refused"
    title zh-CN "被拒绝"
    explanation en "Nothing listens."
    explanation zh-CN "没有服务在监听。"
    rule refused when message icontains "connection refused"
    fix en "Start the service."
    fix zh-CN "启动服务。"
    example match "dial tcp 192.0.2.1:80: connect: connection refused"
    example match "curl: (7) Failed to connect to 192.0.2.2 port 80: Connection refused"
    example match "Error: connect ECONNREFUSED connection refused"
}

unknown {
    example "make: *** [all] Error 2"
    example "exit status 1"
    example "Traceback (most recent call last):"
}
'''


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


@pytest.fixture()
def rules(tmp_path: Path) -> list[Path]:
    path = tmp_path / "sample.rca"
    path.write_text(RULES, encoding="utf-8")
    return [path]


def _run(command: str, *args: object, lang: str = "en") -> tuple[int, str]:
    out = io.StringIO()
    status = getattr(kbcli, command)(*args, out, lang)
    return status, out.getvalue()


def test_check_passes_on_shipped_rules() -> None:
    status, output = _run("check", None)

    assert status == 0
    assert output.startswith("no problems (rule files: 5, ")


def test_check_lists_every_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.rca"
    bad.write_text('cause a.b {\n  rule r when kind = box\n}\ncause c.d {\n  title en "x\n}\n')

    status, output = _run("check", [bad])

    assert status == 1
    assert f"{bad}:2:22: error: unknown source kind 'box'" in output
    assert f"{bad}:5:12: error: the string starting here" in output
    assert output.rstrip().endswith("problems found: 2 (rule files read: 1).")


def test_check_in_chinese(tmp_path: Path) -> None:
    bad = tmp_path / "bad.rca"
    bad.write_text("cause a.b { rule r when kind = box }")

    status, output = _run("check", [bad], lang="zh-CN")

    assert status == 1
    assert "错误：未知的来源类型 'box'" in output


def test_test_passes(rules: list[Path]) -> None:
    status, output = _run("test", rules)

    assert status == 0
    assert output.strip() == "examples: 10, all pass."


def test_test_reports_failing_example(tmp_path: Path) -> None:
    path = tmp_path / "sample.rca"
    path.write_text(RULES.replace('example nomatch "connection refused"',
                                  'example match "dial tcp: i/o timeout"'))

    status, output = _run("test", [path])

    assert status == 1
    assert "example for net.sample was diagnosed as unknown" in output
    assert 'example match "dial tcp: i/o timeout"' in output


def _corpus(folder: Path) -> Path:
    files = {
        "dns.log": ("net.sample", "lookup x.example: no such host\n"),
        "refused.log": ("net.refused", "connect: connection refused\n"),
        "confused.log": ("net.refused", "lookup y.example: no such host\n"),
        "fine.log": ("ok", "lookup z.example: no such host (retrying)\ndone\n"),
    }
    rows = ["file\texpected_cause\tnote"]
    for name, (label, text) in files.items():
        (folder / name).write_text(text)
        rows.append(f"{name}\t{label}\t")
    (folder / "INDEX.tsv").write_text("\n".join(rows) + "\n")
    return folder


def test_evaluate_scores_and_confusions(tmp_path: Path, rules: list[Path]) -> None:
    corpus = _corpus(tmp_path)

    status, output = _run("evaluate", corpus, rules)

    assert status == 0
    assert "accuracy 0.667 (2/3)" in output
    assert "net.refused -> net.sample: 1" in output


def test_evaluate_counts_rules_on_successful_runs(tmp_path: Path, rules: list[Path]) -> None:
    _, output = _run("evaluate", _corpus(tmp_path), rules)

    assert "rules that fire on successful runs (runs: 1):" in output
    assert "net.sample/lookup: 1" in output


def test_explain_shows_matches_and_classifier(tmp_path: Path, rules: list[Path]) -> None:
    excerpt = tmp_path / "excerpt.log"
    excerpt.write_text("lookup a.example: no such host\nconnection refused\n")

    status, output = _run("explain", excerpt, rules)

    assert status == 0
    assert "line 1  rule:net.sample/lookup" in output
    assert "line 2  rule:net.refused/refused" in output
    assert "classifier, top 3:" in output
    assert output.rstrip().endswith("decided by rule:net.sample/lookup)")


def test_unknowns_suggests_rule_that_parses(tmp_path: Path) -> None:
    files = []
    for index in range(3):
        path = tmp_path / f"run{index}.log"
        path.write_text(f"starting\npanic: runtime error: index out of range [{index + 4}] "
                        f"with length {index + 1}\n")
        files.append(path)

    status, output = _run("unknowns", files, None)

    assert status == 0
    assert "files without a cause: 3 of 3; groups of first errors: 1" in output
    skeleton = output[output.index("cause area.name"):].split("\n}\n")[0] + "\n}\n"
    assert parse_rule_file(skeleton, "draft.rca").problems == []


def test_unknowns_with_nothing_unknown(tmp_path: Path, rules: list[Path]) -> None:
    path = tmp_path / "run.log"
    path.write_text("lookup a.example: no such host\n")

    status, output = _run("unknowns", [path], rules)

    assert status == 0
    assert output.strip() == "every first error has a cause (files: 1)."
