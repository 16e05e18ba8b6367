"""Reports rendered from hand-built investigations, in both languages and all three formats."""

# Chinese text uses full-width punctuation on purpose

from __future__ import annotations

import dataclasses
import html
import json
import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from rca.errors import UsageError
from rca.model import Investigation, Level, Transaction
from rca.report.render import render

from .report_fixtures import (
    HOSTILE_MESSAGE,
    HOSTILE_NODE,
    HOSTILE_RUN_ID,
    T0,
    FakeKnowledgeBase,
    avc_run,
    build_investigation,
    hostile_investigation,
    make_event,
)
from .report_html_check import check_page, count_elements

LANGS = ["en", "zh-CN"]
ALLOWED_ATTRIBUTES = {
    "lang", "charset", "name", "content", "class", "id", "href", "title", "style", "role",
    "aria-label", "aria-labelledby", "rel",
}


def markdown_to_html(text: str) -> str:
    """Render Markdown as a CommonMark viewer with GitHub tables would, raw HTML allowed."""
    return MarkdownIt("commonmark").enable("table").enable("strikethrough").render(text)


def visible_text(page: str) -> str:
    return " ".join(" ".join(check_page(page).text).split())


# Markdown


@pytest.mark.parametrize("lang", LANGS)
def test_markdown_sections_in_order(investigation: Investigation, kb: FakeKnowledgeBase,
                                    lang: str) -> None:
    report = render(investigation, kb, format="md", lang=lang)
    headings = [line for line in report.splitlines() if line.startswith("## ")]

    assert len(headings) == 6
    assert "run-0042" in headings[2]
    assert "run-0043" in headings[3]


def test_markdown_english_answer_first(investigation: Investigation,
                                       kb: FakeKnowledgeBase) -> None:
    report = render(investigation, kb, format="md", lang="en")

    assert report.startswith("# Root-cause report: 2 of 4 runs failed\n")
    assert report.index("## Summary") < report.index("## Failed run `run-0042`")
    assert report.index("## Failed run `run-0043`") < report.index("## Successful runs")
    assert report.index("## Successful runs") < report.index("## Data quality")
    assert "- Elasticsearch returned partial results: 1 of 3 shards failed" in report


def test_markdown_english_diagnosis(investigation: Investigation, kb: FakeKnowledgeBase) -> None:
    report = render(investigation, kb, format="md", lang="en")
    start = report.index("## Failed run `run-0042`")
    section = report[start:report.index("## Failed run `run-0043`")]

    assert "**Root cause:** SELinux denied the access (`perm.selinux_avc`)" in section
    assert "**Confidence:** 92%" in section
    assert "**Decided by:** rule selinux_avc" in section
    assert "**Remedy:** needs a person" in section
    assert "```sh\nrestorecon -Rv /usr/local/go/bin\n```" in section
    assert "at `node-b/audit/audit.log:118`" in section
    assert ("**Other candidate causes:** `perm.denied` (also matched, outranked by "
            "`perm.selinux_avc`)") in section


def test_markdown_first_error_row_marked(investigation: Investigation,
                                         kb: FakeKnowledgeBase) -> None:
    report = render(investigation, kb, format="md", lang="en")
    marked = [line for line in report.splitlines() if line.startswith("| **▶ first error**")]

    assert len(marked) == 2
    assert "`node-b/audit/audit.log:118`" in marked[0]
    assert "`node-c/install.log:61`" in marked[1]


def test_markdown_long_timeline_says_omitted(investigation: Investigation,
                                             kb: FakeKnowledgeBase) -> None:
    report = render(investigation, kb, format="md", lang="en")

    assert "Showing 16 of 120 events" in report
    assert "104 events are omitted." in report
    assert "| | … | | | | *51 events omitted* | |" in report
    assert "| | … | | | | *53 events omitted* | |" in report


def test_markdown_data_quality(investigation: Investigation, kb: FakeKnowledgeBase) -> None:
    report = render(investigation, kb, format="md", lang="en")
    quality = report[report.index("## Data quality"):]

    assert "3 of 4 files read, 1 skipped." in quality
    assert "| `node-a/core.bin` | binary file |" in quality
    assert "| **Total** | 3 | 250 | 245 | 3 | 1 | 1 | 0 | 9 | 0 |" in quality
    assert "| `node-b` | +0.350 s | ±0.020 s |" in quality
    assert "Events outside every run: 5" in quality
    assert "Context window margin: 30 s" in quality
    assert "| `node-a/install.log:12` | `` garbage \\| with `pipes` `` |" in quality


def test_markdown_chinese_terms(investigation: Investigation, kb: FakeKnowledgeBase) -> None:
    report = render(investigation, kb, format="md", lang="zh-CN")

    assert report.startswith("# 根因分析报告：4 个安装任务中 2 个失败\n")
    for term in ("## 概要", "### 首个错误", "### 修复建议", "## 数据质量", "**置信度：** 92%",
                 "**根因：** SELinux 拒绝了访问（`perm.selinux_avc`）", "**处理方式：** 需人工处理",
                 "**判定依据：** 规则 selinux_avc", "## 成功的安装任务"):
        assert term in report, term


def test_markdown_chinese_has_no_english_labels(investigation: Investigation,
                                                kb: FakeKnowledgeBase) -> None:
    report = render(investigation, kb, format="md", lang="zh-CN")

    for label in ("Summary", "Root cause", "First error", "Fixes", "Data quality", "Confidence",
                  "Timeline", "Evidence", "omitted", "Successful runs"):
        assert label not in report, label


def test_markdown_table_cell_keeps_pipes(kb: FakeKnowledgeBase) -> None:
    report = render(hostile_investigation(), kb, format="md", lang="en")
    cells = re.findall(r"<td><code>(.*?)</code></td>", markdown_to_html(report))

    assert HOSTILE_MESSAGE in [html.unescape(cell) for cell in cells]


def test_markdown_escapes_log_text(kb: FakeKnowledgeBase) -> None:
    report = render(hostile_investigation(), kb, format="md", lang="en")
    page = check_page(markdown_to_html(report))
    text = " ".join(" ".join(page.text).split())

    assert "script" not in page.elements
    assert "b" not in page.elements
    assert [link for link in page.links if "evil" in link] == []
    assert HOSTILE_MESSAGE in text
    assert HOSTILE_RUN_ID in text
    assert HOSTILE_NODE in text


def test_markdown_reference_link_only_for_http(investigation: Investigation,
                                               kb: FakeKnowledgeBase) -> None:
    report = render(investigation, kb, format="md", lang="en")
    page = check_page(markdown_to_html(report))

    assert page.links == ["https://example.org/selinux-avc"]
    assert "- javascript:alert(1)" in report


# HTML


@pytest.mark.parametrize("lang", LANGS)
def test_html_well_formed(investigation: Investigation, kb: FakeKnowledgeBase, lang: str) -> None:
    page = check_page(render(investigation, kb, format="html", lang=lang))

    assert page.nesting_errors == []
    assert page.unclosed == []
    assert page.elements[0] == "html"


@pytest.mark.parametrize("lang", LANGS)
def test_html_has_no_external_resources(investigation: Investigation, kb: FakeKnowledgeBase,
                                        lang: str) -> None:
    page = check_page(render(investigation, kb, format="html", lang=lang))

    assert page.resources == []
    assert "script" not in page.elements
    assert "link" not in page.elements
    assert "img" not in page.elements
    assert all(link.startswith("#") or link == "https://example.org/selinux-avc"
               for link in page.links)


@pytest.mark.parametrize("lang", LANGS)
def test_html_lang_attribute(investigation: Investigation, kb: FakeKnowledgeBase,
                             lang: str) -> None:
    page = check_page(render(investigation, kb, format="html", lang=lang))

    assert ("html", "lang", lang) in page.attributes


def test_html_escapes_log_text(kb: FakeKnowledgeBase) -> None:
    report = render(hostile_investigation(), kb, format="html", lang="en")
    page = check_page(report)

    assert "<script" not in report
    assert "script" not in page.elements
    assert "b" not in page.elements
    assert page.nesting_errors == []
    assert {name for _tag, name, _value in page.attributes} <= ALLOWED_ATTRIBUTES
    assert HOSTILE_MESSAGE in visible_text(report)
    assert HOSTILE_RUN_ID in visible_text(report)


def test_html_escapes_tooltips(kb: FakeKnowledgeBase) -> None:
    page = check_page(render(hostile_investigation(), kb, format="html", lang="en"))
    titles = [value for tag, name, value in page.attributes if name == "title" and tag == "span"]

    assert any(HOSTILE_MESSAGE[:60] in title for title in titles)


def test_html_lane_per_node(investigation: Investigation, kb: FakeKnowledgeBase) -> None:
    report = render(investigation, kb, format="html", lang="en")
    page = check_page(report)
    lane_names = re.findall(r'<div class="lane-name" title="([^"]*)">', report)

    assert lane_names == ["node-a", "node-b", "node-c"]
    assert count_elements(page, "span", "first-error-line") == 3
    assert count_elements(page, "span", "mark", "first") == 2


def test_html_first_error_row_highlighted(investigation: Investigation,
                                          kb: FakeKnowledgeBase) -> None:
    page = check_page(render(investigation, kb, format="html", lang="en"))

    assert count_elements(page, "tr", "first-error") == 2
    assert count_elements(page, "span", "first-badge") == 2


def test_html_lane_mark_positions(investigation: Investigation, kb: FakeKnowledgeBase) -> None:
    page = render(investigation, kb, format="html", lang="en")
    lanes = re.split(r'<div class="lane(?: has-first-error)?">', page)
    node_a_lane = lanes[1]
    positions = re.findall(r'class="mark[^"]*" style="left: ([\d.]+)%"', node_a_lane)

    assert 'title="node-a"' in node_a_lane
    assert positions == ["0.0", "33.33", "100.0"]


def test_html_chinese_terms(investigation: Investigation, kb: FakeKnowledgeBase) -> None:
    text = visible_text(render(investigation, kb, format="html", lang="zh-CN"))

    for term in ("根因分析报告", "首个错误", "修复建议", "置信度", "数据质量", "SELinux 拒绝了访问",
                 "需人工处理", "可自动修复", "时间线"):
        assert term in text, term


# JSON


@pytest.mark.parametrize("lang", LANGS)
def test_json_top_level_keys(investigation: Investigation, kb: FakeKnowledgeBase,
                             lang: str) -> None:
    document = json.loads(render(investigation, kb, format="json", lang=lang))

    assert list(document) == [
        "generated_at", "lang", "sources", "summary", "transactions", "data_quality", "warnings",
    ]
    assert document["generated_at"] == "2026-12-03T03:14:00.000Z"
    assert document["lang"] == lang


def test_json_summary(investigation: Investigation, kb: FakeKnowledgeBase) -> None:
    summary = json.loads(render(investigation, kb, format="json", lang="en"))["summary"]

    assert summary == {
        "runs": 4,
        "failed": 2,
        "succeeded": 2,
        "nodes": ["node-a", "node-b", "node-c"],
        "causes": [
            {"cause": "network.timeout", "title": "A network operation timed out", "count": 1},
            {"cause": "perm.selinux_avc", "title": "SELinux denied the access", "count": 1},
        ],
    }


def test_json_failed_transaction(investigation: Investigation, kb: FakeKnowledgeBase) -> None:
    txn = json.loads(render(investigation, kb, format="json", lang="en"))["transactions"][0]

    assert list(txn) == [
        "id", "status", "nodes", "start", "end", "event_count", "complete", "first_error",
        "symptoms", "ambiguous_order", "cause", "cause_title", "explanation", "confidence",
        "decided_by", "remedy", "fixes",
        "references", "alternatives", "evidence",
    ]
    assert txn["id"] == "run-0042"
    assert txn["status"] == "failed"
    assert txn["nodes"] == ["node-a", "node-b"]
    assert txn["cause"] == "perm.selinux_avc"
    assert txn["confidence"] == 0.92
    assert txn["decided_by"] == "rule:selinux_avc"
    assert txn["remedy"] == "manual"
    assert txn["fixes"][0] == {
        "text": "Restore the default context of /usr/local/go/bin",
        "command": "restorecon -Rv /usr/local/go/bin",
    }
    assert txn["fixes"][1]["command"] is None
    assert [event["origin"]["line"] for event in txn["evidence"]] == [118, 7]


def test_json_first_error_event(investigation: Investigation, kb: FakeKnowledgeBase) -> None:
    txn = json.loads(render(investigation, kb, format="json", lang="en"))["transactions"][0]

    assert txn["first_error"] == {
        "timestamp": "2026-12-03T02:14:05.001Z",
        "node": "node-b",
        "kind": "audit",
        "level": "ERROR",
        "message": investigation.transactions[0].events[3].message,
        "origin": {"path": "node-b/audit/audit.log", "line": 118},
        "transaction_id": None,
        "fields": {"scontext": "rpm_script_t"},
    }
    assert [event["message"] for event in txn["symptoms"]] == [
        "mkdir /usr/local/go/bin: permission denied", "run failed",
    ]


def test_json_succeeded_transaction(investigation: Investigation, kb: FakeKnowledgeBase) -> None:
    txn = json.loads(render(investigation, kb, format="json", lang="en"))["transactions"][2]

    assert txn["id"] == "run-0040"
    assert txn["status"] == "succeeded"
    assert txn["first_error"] is None
    assert txn["cause"] is None
    assert txn["fixes"] == []


def test_json_chinese_titles_and_fixes(investigation: Investigation,
                                       kb: FakeKnowledgeBase) -> None:
    txn = json.loads(render(investigation, kb, format="json", lang="zh-CN"))["transactions"][0]

    assert txn["cause_title"] == "SELinux 拒绝了访问"
    assert txn["fixes"][0]["text"] == "恢复 /usr/local/go/bin 的默认安全上下文"
    assert txn["decided_by"] == "rule:selinux_avc"


def test_json_data_quality(investigation: Investigation, kb: FakeKnowledgeBase) -> None:
    quality = json.loads(render(investigation, kb, format="json", lang="en"))["data_quality"]

    assert [entry["format"] for entry in quality["formats"]] == ["audit", "installer", "journald"]
    assert quality["totals"]["parsed"] == 245
    assert quality["files"][3]["status"] == "skipped"
    assert quality["files"][3]["skipped_reason"] == "binary file"
    assert quality["files"][0]["unparsed_examples"][0] == {
        "line": 12, "text": "garbage | with `pipes`",
    }
    assert quality["unassigned_events"] == 5
    assert quality["clock_offsets"] == {"node-b": {"offset": 0.35, "uncertainty": 0.02}}


def test_json_keeps_log_text_unescaped(kb: FakeKnowledgeBase) -> None:
    document = json.loads(render(hostile_investigation(), kb, format="json", lang="en"))

    assert document["transactions"][0]["first_error"]["message"] == HOSTILE_MESSAGE
    assert document["transactions"][0]["id"] == HOSTILE_RUN_ID


def test_json_is_deterministic(kb: FakeKnowledgeBase) -> None:
    first = render(build_investigation(), kb, format="json", lang="en")
    second = render(build_investigation(), kb, format="json", lang="en")

    assert first == second


# Edge cases


@pytest.mark.parametrize("report_format", ["md", "html", "json"])
def test_empty_investigation_renders(kb: FakeKnowledgeBase, report_format: str) -> None:
    empty = Investigation(sources=["empty/"], generated_at=T0)

    report = render(empty, kb, format=report_format, lang="en")

    assert "empty/" in report


def test_no_failed_run_says_so(kb: FakeKnowledgeBase) -> None:
    investigation = build_investigation()
    investigation.transactions = investigation.succeeded

    report = render(investigation, kb, format="md", lang="en")

    assert report.startswith("# Root-cause report: no failure in 2 runs\n")
    assert "No run failed." in report


@pytest.mark.parametrize("report_format", ["md", "html"])
def test_undiagnosed_run_renders(kb: FakeKnowledgeBase, report_format: str) -> None:
    run = avc_run()
    run.diagnosis = None
    investigation = Investigation(sources=["x"], transactions=[run], generated_at=T0)

    report = render(investigation, kb, format=report_format, lang="en")

    assert "Not diagnosed" in report
    assert kb.calls == []


def test_untimed_events_render_without_lanes(kb: FakeKnowledgeBase) -> None:
    events = [
        make_event(None, "node-a", "run started", line=1, txn="run-9"),
        make_event(None, "node-a", "boom", level=Level.ERROR, line=2, txn="run-9"),
    ]
    run = Transaction(id="run-9", events=events, nodes=["node-a"], failed=True,
                      first_error=events[1])
    investigation = Investigation(sources=["x"], transactions=[run], generated_at=T0)

    page = check_page(render(investigation, kb, format="html", lang="en"))

    assert "lanes" not in page.classes
    assert page.nesting_errors == []


def test_invalid_format_rejected(investigation: Investigation, kb: FakeKnowledgeBase) -> None:
    with pytest.raises(UsageError, match=r"'pdf'.*md, html, json"):
        render(investigation, kb, format="pdf", lang="en")


def test_invalid_lang_rejected(investigation: Investigation, kb: FakeKnowledgeBase) -> None:
    with pytest.raises(UsageError, match=r"'fr'.*en, zh-CN"):
        render(investigation, kb, format="md", lang="fr")


@pytest.mark.parametrize("report_format", ["md", "html"])
def test_long_evidence_says_omitted(kb: FakeKnowledgeBase, report_format: str) -> None:
    run = avc_run()
    assert run.diagnosis is not None
    run.diagnosis.evidence = [
        make_event(float(i), "node-a", f"evidence {i}", level=Level.ERROR, line=i + 1)
        for i in range(25)
    ]
    investigation = Investigation(sources=["x"], transactions=[run], generated_at=T0)

    report = render(investigation, kb, format=report_format, lang="en")

    assert "evidence 19" in report
    assert "evidence 20" not in report
    assert "5 events omitted" in report


def test_unbounded_clock_offset(kb: FakeKnowledgeBase) -> None:
    investigation = build_investigation()
    investigation.clock_offsets = {"node-c": (0.0, float("inf"))}

    report = render(investigation, kb, format="md", lang="en")
    document = json.loads(render(investigation, kb, format="json", lang="en"))

    assert "| `node-c` | +0.000 s | unbounded |" in report
    assert document["data_quality"]["clock_offsets"] == {
        "node-c": {"offset": 0.0, "uncertainty": None}
    }


# Streaming results, clock-order uncertainty and layout


def streamed_investigation() -> Investigation:
    """The two-node investigation as the streaming path returns it."""
    investigation = build_investigation()
    investigation.unassigned_events = None
    investigation.transactions[2].complete = False
    investigation.files[1] = dataclasses.replace(
        investigation.files[1], lines_read=230, skimmed=30, clock_steps=2
    )
    return investigation


def ambiguous_investigation() -> Investigation:
    """The AVC run with a node-a error 0.01 s after the node-b first error, clocks ±0.02 s."""
    investigation = build_investigation()
    run = investigation.transactions[0]
    assert run.first_error is not None
    assert run.first_error.timestamp is not None
    later = make_event(run.first_error.timestamp - T0 + 0.01, "node-a",
                       "install failed: permission denied", level=Level.ERROR,
                       path="node-a/install.log", line=99, txn=run.id)
    run.ambiguous_order = [later]
    investigation.clock_offsets = {"node-a": (0.0, 0.0), "node-b": (0.35, 0.02)}
    return investigation


def test_markdown_skimmed_and_clock_steps_columns(kb: FakeKnowledgeBase) -> None:
    report = render(streamed_investigation(), kb, format="md", lang="en")

    assert ("| Format | Files | Lines read | Parsed | Not parsed | Continuation | Duplicates "
            "| Skimmed | Timestamps inferred | Clock steps |") in report
    assert "| `audit` | 1 | 230 | 200 | 0 | 0 | 0 | 30 | 0 | 2 |" in report
    assert "| **Total** | 3 | 280 | 245 | 3 | 1 | 1 | 30 | 9 | 2 |" in report
    assert ("| `node-b/audit/audit.log` | `node-b` | `audit` | 230 | 200 | 0 | 0 | 0 | 30 | 0 "
            "| 2 |") in report
    assert "Lines read = Parsed + Not parsed + Continuation + Duplicates + Skimmed." in report


def test_html_skimmed_and_clock_steps_columns(kb: FakeKnowledgeBase) -> None:
    text = visible_text(render(streamed_investigation(), kb, format="html", lang="en"))

    assert "Duplicates Skimmed Timestamps inferred Clock steps" in text
    assert "audit 1 230 200 0 0 0 30 0 2" in text
    assert "Total 3 280 245 3 1 1 30 9 2" in text


def test_json_skimmed_and_clock_steps(kb: FakeKnowledgeBase) -> None:
    quality = json.loads(render(streamed_investigation(), kb, format="json",
                                lang="en"))["data_quality"]

    audit = quality["files"][1]
    assert audit["skimmed"] == 30
    assert audit["clock_steps"] == 2
    assert quality["totals"]["skimmed"] == 30
    assert quality["totals"]["clock_steps"] == 2
    assert quality["totals"]["duplicates"] == 1
    for entry in [*quality["files"], quality["totals"]]:
        buckets = ("parsed", "unparsed", "continuation", "duplicates", "skimmed")
        assert entry["lines_read"] == sum(entry[name] for name in buckets)


@pytest.mark.parametrize("report_format", ["md", "html"])
def test_uncounted_unassigned_events_shown_as_dash(kb: FakeKnowledgeBase,
                                                  report_format: str) -> None:
    report = render(streamed_investigation(), kb, format=report_format, lang="en")
    if report_format == "html":
        report = visible_text(report)

    assert "Events outside every run: —" in report


def test_json_uncounted_unassigned_events_null(kb: FakeKnowledgeBase) -> None:
    document = json.loads(render(streamed_investigation(), kb, format="json", lang="en"))

    assert document["data_quality"]["unassigned_events"] is None


def test_markdown_incomplete_run_count_dash(kb: FakeKnowledgeBase) -> None:
    report = render(streamed_investigation(), kb, format="md", lang="en")
    row = next(line for line in report.splitlines() if line.startswith("| `run-0040`"))

    assert row.endswith("| — |")
    assert "—: the run's events were not counted" in report


def test_html_incomplete_run_count_dash(kb: FakeKnowledgeBase) -> None:
    page = check_page(render(streamed_investigation(), kb, format="html", lang="en"))
    text = " ".join(" ".join(page.text).split())

    assert "run-0040 node-a and node-b" in text
    assert "02:04:30.000 30 s — run-0041" in text
    assert "—: the run's events were not counted" in text


def test_json_incomplete_run(kb: FakeKnowledgeBase) -> None:
    transactions = json.loads(render(streamed_investigation(), kb, format="json",
                                     lang="en"))["transactions"]

    assert transactions[2]["event_count"] is None
    assert transactions[2]["complete"] is False
    assert transactions[3]["event_count"] == 2
    assert transactions[3]["complete"] is True


def test_markdown_ambiguous_order(kb: FakeKnowledgeBase) -> None:
    report = render(ambiguous_investigation(), kb, format="md", lang="en")
    section = report[report.index("## Failed run `run-0042`"):report.index("### Evidence")]

    assert ("**Order uncertain:** these errors on other nodes may have happened before the "
            "first error, because the clock offsets between the nodes are uncertain by up to "
            "0.02 s.") in section
    assert "`install failed: permission denied` | `node-a/install.log:99` |" in section


def test_html_ambiguous_order(kb: FakeKnowledgeBase) -> None:
    page = render(ambiguous_investigation(), kb, format="html", lang="en")
    text = visible_text(page)
    run = text[text.index("Failed run run-0042"):text.index("Failed run run-0043")]

    assert "Order uncertain: these errors on other nodes may have happened" in run
    assert "install failed: permission denied" in run
    assert '<span>node-a/</span><wbr><span>install.log:99</span>' in page
    assert count_elements(check_page(page), "table", "ambiguous-errors") == 1


def test_json_ambiguous_order(kb: FakeKnowledgeBase) -> None:
    transactions = json.loads(render(ambiguous_investigation(), kb, format="json",
                                     lang="en"))["transactions"]

    assert [event["origin"] for event in transactions[0]["ambiguous_order"]] == [
        {"path": "node-a/install.log", "line": 99},
    ]
    assert transactions[1]["ambiguous_order"] == []


def test_json_alternatives_name_winner(investigation: Investigation,
                                       kb: FakeKnowledgeBase) -> None:
    txn = json.loads(render(investigation, kb, format="json", lang="en"))["transactions"][0]

    assert txn["alternatives"][0] == {
        "cause": "perm.denied", "confidence": 0.06, "outranked_by": "perm.selinux_avc",
    }


def test_html_classifier_alternatives_as_scores(kb: FakeKnowledgeBase) -> None:
    investigation = build_investigation()
    diagnosis = investigation.transactions[0].diagnosis
    assert diagnosis is not None
    diagnosis.decided_by = "classifier"

    text = visible_text(render(investigation, kb, format="html", lang="en"))

    assert "Other candidate causes: perm.denied (6%)" in text
    assert "outranked" not in text


@pytest.mark.parametrize("report_format", ["md", "html"])
def test_evidence_before_timeline(investigation: Investigation, kb: FakeKnowledgeBase,
                                  report_format: str) -> None:
    report = render(investigation, kb, format=report_format, lang="en")
    run = report[:report.index("run-0043", report.index("Evidence"))]

    assert run.index("Evidence") < run.index("Timeline")


def test_html_chinese_node_list_separated(investigation: Investigation,
                                          kb: FakeKnowledgeBase) -> None:
    page = render(investigation, kb, format="html", lang="zh-CN")

    assert "<code>node-a</code>、<code>node-b</code>" in page
    assert "<code>node-a</code>和" not in page


def test_html_origin_breaks_after_slash(investigation: Investigation,
                                        kb: FakeKnowledgeBase) -> None:
    page = render(investigation, kb, format="html", lang="en")

    assert ('<code class="path"><span>node-b/</span><wbr><span>audit/</span><wbr>'
            "<span>audit.log:118</span></code>") in page


def test_html_first_error_ring_below_error_marks(investigation: Investigation,
                                                 kb: FakeKnowledgeBase) -> None:
    page = render(investigation, kb, format="html", lang="en")

    def z_index(selector: str) -> int:
        rule = re.search(re.escape(selector) + r" \{([^}]*)\}", page)
        assert rule is not None, selector
        value = re.search(r"z-index: (\d+)", rule.group(1))
        assert value is not None, selector
        return int(value.group(1))

    assert z_index(".mark.first") < z_index(".mark.level-error")
    assert z_index(".mark.level-warning") < z_index(".mark.level-error")
    assert "background: transparent" in re.search(r"\.mark\.first \{([^}]*)\}", page).group(1)


@pytest.mark.parametrize("lang", LANGS)
def test_html_header_cells_do_not_wrap(investigation: Investigation, kb: FakeKnowledgeBase,
                                       lang: str) -> None:
    page = render(investigation, kb, format="html", lang=lang)

    rule = re.search(r"\nth \{([^}]*)\}", page)
    assert rule is not None
    assert "white-space: nowrap" in rule.group(1)


@pytest.mark.parametrize("lang", LANGS)
def test_durations_use_short_units(investigation: Investigation, kb: FakeKnowledgeBase,
                                   lang: str) -> None:
    report = render(investigation, kb, format="md", lang=lang)

    assert "2026-12-03 03:14:00 UTC" in report
    assert ("(1 min 59 s)" if lang == "en" else "（1 分 59 秒）") in report


def test_clock_skew_incident_shows_uncertain_order(kb: FakeKnowledgeBase) -> None:
    incidents = Path(__file__).resolve().parents[2] / "fixtures" / "incidents"
    incident = incidents / "2026-12-10-clock-skew"
    if not incident.is_dir():
        pytest.skip(f"incident fixture not found: {incident}")
    from rca.kb import load_knowledge_base
    from rca.pipeline import investigate
    from rca.settings import Settings

    investigation = investigate([str(incident)], Settings(), load_knowledge_base(None))
    report = render(investigation, kb, format="md", lang="en")
    section = report[report.index("## Failed run `run-0303`"):report.index("### Evidence")]

    assert "**Order uncertain:**" in section
    assert "`fleet-wrk-01 finished the job with status 1`" in section
