"""The work behind ``rca kb ...``: check, test, eval, explain and unknowns.

Each function writes a report to `out` in `lang` (``en`` or ``zh-CN``) and
returns the exit status: 0 when all is well, 1 when it found problems. `paths`
names rule files or folders of them; None means the shipped knowledge base.
`read_events` turns a file into events; by default one event per line.
"""

from __future__ import annotations

import csv
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from rca.diagnose import (
    diagnose_excerpt,
    events_from_file,
    events_from_text,
    find_matches,
    first_error_line,
    rank_matches,
)
from rca.kb import KnowledgeBase, Problem, RuleFileError, load_knowledge_base
from rca.kb.ast import Example
from rca.model import UNKNOWN_CAUSE, Event

logger = logging.getLogger(__name__)

ReadEvents = Callable[[Path], list[Event]]

# Labels in an INDEX.tsv that mark a run that succeeded.
SUCCESS_LABELS = frozenset({"ok", "success", "succeeded"})

_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "check_ok": "no problems (rule files: {files}, causes: {causes}, rules: {rules}).",
        "check_failed": "problems found: {count} (rule files read: {files}).",
        "test_ok": "examples: {count}, all pass.",
        "test_failed": "examples: {count}, failed: {failed}.",
        "eval_header": "files from {index}: {count}",
        "accuracy": "accuracy {accuracy:.3f} ({right}/{count})",
        "decided": "decided by: rules {rules}, classifier {classifier}, none {none}",
        "per_cause": "cause                          precision  recall  support",
        "confusions": "confusions (expected -> diagnosed):",
        "no_confusions": "no confusions",
        "ok_runs": "rules that fire on successful runs (runs: {count}):",
        "ok_runs_clean": "no rule fires on the successful runs (runs: {count})",
        "missing": "missing file: {path}",
        "explain_matches": "rules that matched:",
        "explain_none": "no rule matched",
        "explain_beaten": "outranked:",
        "explain_beaten_by": "beaten by {winner}",
        "explain_classifier": "classifier, top 3:",
        "explain_result":
            "diagnosis: {cause} (confidence {confidence:.2f}, decided by {decided_by})",
        "line": "line",
        "unknowns_none": "every first error has a cause (files: {count}).",
        "unknowns_header":
            "files without a cause: {unknown} of {count}; groups of first errors: {groups}",
        "group": "group {index}: lines: {size}, template: {template}",
        "skeleton": "suggested rule:",
    },
    "zh-CN": {
        "check_ok": "{files} 个规则文件，{causes} 个根因，{rules} 条规则：没有问题。",
        "check_failed": "{files} 个规则文件中有 {count} 个问题。",
        "test_ok": "{count} 个示例：全部通过。",
        "test_failed": "{count} 个示例：{failed} 个未通过。",
        "eval_header": "{index} 中的 {count} 个文件",
        "accuracy": "准确率 {accuracy:.3f}（{right}/{count}）",
        "decided": "判定方式：规则 {rules}，分类器 {classifier}，无 {none}",
        "per_cause": "根因                           精确率     召回率  样本数",
        "confusions": "混淆（预期 -> 诊断）：",
        "no_confusions": "没有混淆",
        "ok_runs": "在 {count} 个成功的安装任务中触发的规则：",
        "ok_runs_clean": "{count} 个成功的安装任务中没有触发任何规则",
        "missing": "文件不存在：{path}",
        "explain_matches": "匹配的规则：",
        "explain_none": "没有规则匹配",
        "explain_beaten": "因优先级落选：",
        "explain_beaten_by": "优先级低于 {winner}",
        "explain_classifier": "分类器前 3 名：",
        "explain_result": "诊断：{cause}（置信度 {confidence:.2f}，判定方式 {decided_by}）",
        "line": "行",
        "unknowns_none": "{count} 个文件：每个首个错误都有根因。",
        "unknowns_header": "{count} 个文件中有 {unknown} 个没有根因；首个错误分为 {groups} 组：",
        "group": "第 {index} 组：{size} 行，模板：{template}",
        "skeleton": "建议的规则：",
    },
}


def _say(lang: str, key: str, **params: object) -> str:
    texts = _TEXT.get(lang, _TEXT["en"])
    return texts[key].format(**params)


def check(paths: Sequence[Path] | None, out: TextIO, lang: str) -> int:
    """List every problem of the rule files; 1 when there is any."""
    try:
        kb = load_knowledge_base(paths)
    except RuleFileError as error:
        return _write_problems(error.problems, len(paths or ()), out, lang)

    if kb.problems:
        return _write_problems(kb.problems, len(kb.sources), out, lang)
    out.write(_say(lang, "check_ok", files=len(kb.sources), causes=len(kb.causes),
                   rules=len(kb.rules)) + "\n")
    return 0


def _write_problems(problems: Sequence[Problem], files: int, out: TextIO, lang: str) -> int:
    for problem in problems:
        out.write(problem.render(lang) + "\n\n")
    out.write(_say(lang, "check_failed", count=len(problems), files=files) + "\n")
    return 1


def test(paths: Sequence[Path] | None, out: TextIO, lang: str) -> int:
    """Diagnose every example line with the rules alone; 1 when one is diagnosed wrongly."""
    kb = load_knowledge_base(paths)
    failures = example_failures(kb)
    for problem in failures:
        out.write(problem.render(lang) + "\n\n")

    count = sum(1 for _ in kb.examples())
    if failures:
        out.write(_say(lang, "test_failed", count=count, failed=len(failures)) + "\n")
        return 1
    out.write(_say(lang, "test_ok", count=count) + "\n")
    return 0


def example_failures(kb: KnowledgeBase) -> list[Problem]:
    """Return one problem per example whose rule diagnosis contradicts it."""
    failures = []
    for example, cause in kb.examples():
        diagnosis = diagnose_excerpt(events_from_text(example.text), kb, classifier=False)
        got, rule = diagnosis.cause, diagnosis.decided_by.removeprefix("rule:")
        if cause == UNKNOWN_CAUSE and got != UNKNOWN_CAUSE:
            failures.append(_example_problem(kb, example, "unknown-example-matched", got=got,
                                             rule=rule))
        elif cause != UNKNOWN_CAUSE and example.matches and got != cause:
            failures.append(_example_problem(kb, example, "example-missed", cause=cause, got=got))
        elif cause != UNKNOWN_CAUSE and not example.matches and got == cause:
            failures.append(_example_problem(kb, example, "example-false-match", cause=cause,
                                             rule=rule))
    return failures


def _example_problem(kb: KnowledgeBase, example: Example, code: str, **params: str) -> Problem:
    position = example.position
    if position is None:
        return Problem("", 0, 0, code, params)
    return Problem(position.path, position.line, position.column, code, params,
                   kb.source_line(position.path, position.line))


@dataclass(slots=True)
class Evaluation:
    """Measurements of `evaluate` on a labelled folder."""

    expected: list[str] = field(default_factory=list)
    diagnosed: list[str] = field(default_factory=list)
    decided_by: Counter[str] = field(default_factory=Counter)
    ok_runs: int = 0
    ok_firings: Counter[str] = field(default_factory=Counter)

    @property
    def pairs(self) -> list[tuple[str, str]]:
        """(expected, diagnosed) for each labelled file."""
        return list(zip(self.expected, self.diagnosed, strict=True))

    @property
    def right(self) -> int:
        return sum(1 for want, got in self.pairs if want == got)

    @property
    def accuracy(self) -> float:
        return self.right / len(self.expected) if self.expected else 0.0


def evaluate(cases_dir: Path, paths: Sequence[Path] | None, out: TextIO, lang: str, *,
             read_events: ReadEvents = events_from_file, rules: bool = True) -> int:
    """Score the diagnosis of every file listed in ``CASES_DIR/INDEX.tsv``.

    Prints accuracy, precision and recall per cause, the confusion pairs, and
    for files labelled ``ok`` (successful runs) how often each rule fires. With
    `rules` false the classifier alone decides.
    """
    kb = load_knowledge_base(paths)
    result = Evaluation()
    rows = _index_rows(cases_dir)
    for file, label in rows:
        if not file.exists():
            out.write(_say(lang, "missing", path=file) + "\n")
            continue
        events = read_events(file)
        if label in SUCCESS_LABELS:
            result.ok_runs += 1
            for match in find_matches(events, events, kb):
                result.ok_firings[match.rule.qualified_name] += 1
            continue
        diagnosis = diagnose_excerpt(events, kb, rules=rules)
        result.expected.append(label)
        result.diagnosed.append(diagnosis.cause)
        result.decided_by[diagnosis.decided_by.split(":")[0]] += 1

    _write_evaluation(result, cases_dir, out, lang)
    return 0


def _index_rows(cases_dir: Path) -> list[tuple[Path, str]]:
    with open(cases_dir / "INDEX.tsv", newline="", encoding="utf-8") as handle:
        return [(cases_dir / row["file"], row["expected_cause"].strip())
                for row in csv.DictReader(handle, delimiter="\t")]


def _write_evaluation(result: Evaluation, cases_dir: Path, out: TextIO, lang: str) -> None:
    count = len(result.expected)
    out.write(_say(lang, "eval_header", count=count, index=cases_dir / "INDEX.tsv") + "\n")
    out.write(_say(lang, "accuracy", accuracy=result.accuracy, right=result.right,
                   count=count) + "\n")
    decided = result.decided_by
    out.write(_say(lang, "decided", rules=decided["rule"], classifier=decided["classifier"],
                   none=decided["none"]) + "\n\n")

    out.write(_say(lang, "per_cause") + "\n")
    for cause in sorted(set(result.expected) | set(result.diagnosed)):
        precision, recall, support = _precision_recall(result, cause)
        out.write(f"{cause:<30} {precision:>9.2f} {recall:>7.2f} {support:>8}\n")

    confusions = Counter(pair for pair in result.pairs if pair[0] != pair[1])
    out.write("\n" + _say(lang, "confusions" if confusions else "no_confusions") + "\n")
    for (want, got), times in confusions.most_common():
        out.write(f"  {want} -> {got}: {times}\n")

    if result.ok_runs:
        key = "ok_runs" if result.ok_firings else "ok_runs_clean"
        out.write("\n" + _say(lang, key, count=result.ok_runs) + "\n")
        for rule, times in result.ok_firings.most_common():
            out.write(f"  {rule}: {times}\n")


def _precision_recall(result: Evaluation, cause: str) -> tuple[float, float, int]:
    pairs = result.pairs
    true_positive = sum(1 for want, got in pairs if want == cause and got == cause)
    predicted = sum(1 for _, got in pairs if got == cause)
    support = sum(1 for want, _ in pairs if want == cause)
    precision = true_positive / predicted if predicted else 0.0
    recall = true_positive / support if support else 0.0
    return precision, recall, support


def explain(file: Path, paths: Sequence[Path] | None, out: TextIO, lang: str, *,
            read_events: ReadEvents = events_from_file) -> int:
    """Show how a file is diagnosed: matching rules, rules beaten on priority, classifier top 3."""
    kb = load_knowledge_base(paths)
    events = read_events(file)
    candidates = [event for event in events if event.message.strip()]
    ranking = rank_matches(find_matches(candidates, events, kb), kb)

    out.write(_say(lang, "explain_matches" if ranking.winners else "explain_none") + "\n")
    for match in ranking.winners:
        out.write(f"  {_where(match.event, lang)}  rule:{match.rule.qualified_name}  "
                  f"{match.rule.confidence:.2f}  {_values(match.values)}\n")
    if ranking.beaten:
        out.write(_say(lang, "explain_beaten") + "\n")
        for match, winner in ranking.beaten:
            beaten_by = _say(lang, "explain_beaten_by", winner=winner.cause)
            where = _where(match.event, lang)
            out.write(f"  {where}  rule:{match.rule.qualified_name}  {beaten_by}\n")

    _write_classifier_top(candidates, kb, out, lang)
    diagnosis = diagnose_excerpt(events, kb)
    out.write(_say(lang, "explain_result", cause=diagnosis.cause, confidence=diagnosis.confidence,
                   decided_by=diagnosis.decided_by) + "\n")
    return 0


def _write_classifier_top(candidates: list[Event], kb: KnowledgeBase, out: TextIO,
                          lang: str) -> None:
    from rca.classify import load_classifier

    classifier = load_classifier(kb)
    out.write(_say(lang, "explain_classifier") + "\n")
    for cause, score, event in classifier.rank(candidates)[:3]:
        out.write(f"  {cause:<28} {score:.3f}  {_where(event, lang)}\n")


def _where(event: Event, lang: str) -> str:
    line = event.origin.line
    return f"{_say(lang, 'line')} {line}" if line is not None else str(event.origin)


def _values(values: dict[str, str]) -> str:
    return " ".join(f"{key}={value!r}" for key, value in sorted(values.items()))


def unknowns(files: Sequence[Path], paths: Sequence[Path] | None, out: TextIO, lang: str, *,
             read_events: ReadEvents = events_from_file) -> int:
    """Group the first errors of files diagnosed ``unknown`` and suggest a rule per group."""
    from rca.unknowns import group_messages, rule_skeleton

    kb = load_knowledge_base(paths)
    first_errors = []
    for file in files:
        events = read_events(file)
        if diagnose_excerpt(events, kb).is_unknown:
            event = first_error_line([event for event in events if event.message.strip()])
            if event is not None:
                first_errors.append(event.message)

    if not first_errors:
        out.write(_say(lang, "unknowns_none", count=len(files)) + "\n")
        return 0

    groups = group_messages(first_errors)
    out.write(_say(lang, "unknowns_header", unknown=len(first_errors), count=len(files),
                   groups=len(groups)) + "\n\n")
    for index, group in enumerate(groups, start=1):
        header = _say(lang, "group", index=index, size=group.count, template=group.template)
        out.write(header + "\n")
        out.write(_say(lang, "skeleton") + "\n")
        out.write(rule_skeleton(group, rule_name=f"group_{index}") + "\n\n")
    return 0
