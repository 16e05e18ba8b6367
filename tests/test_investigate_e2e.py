"""End to end: `rca investigate` and `rca diagnose` through the command line."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from rca.cli import main

ROOT = Path(__file__).resolve().parents[1]
INCIDENT = ROOT / "fixtures" / "incidents" / "2026-12-03-delve-rollout"
SHARED = ROOT.parent / "shared"
LOGHUB = SHARED / "data" / "loghub"
CASES = SHARED / "cases"


def _expected(incident: Path) -> dict[str, dict[str, str]]:
    with (incident / "EXPECTED.tsv").open(newline="", encoding="utf-8") as handle:
        return {row["txn"]: row for row in csv.DictReader(handle, delimiter="\t")}


def _investigate_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    code = main(["investigate", *args, "--format", "json", "--lang", "en"])
    assert code == 0
    return json.loads(capsys.readouterr().out)


def _strip_incident(origin: dict) -> str:
    path = origin["path"].split("/", 1)[1]
    return f"{path}:{origin['line']}"


def test_fixture_every_run_has_expected_status(capsys):
    report = _investigate_json(capsys, str(INCIDENT))
    expected = _expected(INCIDENT)

    statuses = {txn["id"]: txn["status"] for txn in report["transactions"]}

    assert statuses == {txn: row["status"] for txn, row in expected.items()}


@pytest.mark.parametrize("txn", [txn for txn, row in _expected(INCIDENT).items()
                                 if row["status"] == "failed"])
def test_fixture_failed_run_diagnosed(capsys, txn):
    report = _investigate_json(capsys, str(INCIDENT))
    expected = _expected(INCIDENT)[txn]

    found = next(item for item in report["transactions"] if item["id"] == txn)

    assert found["nodes"] == expected["nodes"].split(",")
    assert _strip_incident(found["first_error"]["origin"]) == expected["first_error_origin"]
    assert found["cause"] == expected["cause"]
    assert found["fixes"]


def test_fixture_selinux_cause_found_only_in_audit_log(capsys):
    report = _investigate_json(capsys, str(INCIDENT))

    run = next(item for item in report["transactions"] if item["id"] == "run-0106")

    assert run["first_error"]["kind"] == "audit"
    assert run["first_error"]["fields"]["scontext"]
    assert any("permission denied" in symptom["message"] for symptom in run["symptoms"])


def test_fixture_report_in_chinese(capsys):
    code = main(["investigate", str(INCIDENT), "--lang", "zh-CN"])
    report = capsys.readouterr().out

    assert code == 0
    assert "根因" in report
    assert "SELinux" in report
    assert "run-0106" in report


def test_fixture_report_in_english(capsys):
    code = main(["investigate", str(INCIDENT), "--lang", "en"])
    report = capsys.readouterr().out

    assert code == 0
    assert "Root cause" in report
    assert "根因" not in report


def test_fixture_html_report_written_to_file(tmp_path, capsys):
    target = tmp_path / "report.html"

    code = main(["investigate", str(INCIDENT), "--format", "html", "-o", str(target)])

    assert code == 0
    assert capsys.readouterr().out == ""
    assert target.read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype html>")


def test_txn_option_limits_report(capsys):
    report = _investigate_json(capsys, str(INCIDENT), "--txn", "run-0108")

    assert [txn["id"] for txn in report["transactions"]] == ["run-0108"]


def test_until_before_incident_finds_nothing(capsys):
    code = main(["investigate", str(INCIDENT), "--until", "2026-12-02T00:00:00Z",
                 "--format", "json"])

    assert code == 2


def test_missing_source_is_input_error(tmp_path, capsys):
    code = main(["investigate", str(tmp_path / "absent"), "--lang", "en"])

    assert code == 1
    assert "no such file or folder" in capsys.readouterr().err


def test_missing_source_error_in_chinese(tmp_path, capsys):
    code = main(["investigate", str(tmp_path / "absent"), "--lang", "zh-CN"])

    assert code == 1
    assert "不存在" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["Linux_2k.log", "OpenSSH_2k.log"])
def test_loghub_sample_reports_unparsed_lines(capsys, name):
    sample = LOGHUB / name
    if not sample.is_file():
        pytest.skip(f"loghub sample {name} not available")

    code = main(["investigate", str(sample), "--format", "json"])
    report = json.loads(capsys.readouterr().out)

    assert code in (0, 2)
    files = report["data_quality"]["files"]
    assert [Path(item["path"]).name for item in files] == [name]
    assert files[0]["lines_read"] == 2000
    assert "unparsed" in files[0]


def test_diagnose_json_one_line_per_case_file(capsys):
    if not (CASES / "INDEX.tsv").is_file():
        pytest.skip("labelled cases not available")
    files = sorted(str(path) for path in CASES.rglob("*.log"))

    code = main(["diagnose", "--json", *files])
    lines = capsys.readouterr().out.splitlines()

    assert code == 0
    records = [json.loads(line) for line in lines]
    assert [record["path"] for record in records] == files
    assert all({"cause", "confidence", "decided_by"} <= set(record) for record in records)


def test_diagnose_reads_standard_input(monkeypatch, capsys):
    import io
    import sys

    text = "go: github.com/x/y@v1.2.3: dial tcp 10.0.0.7:443: i/o timeout\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode())))

    code = main(["diagnose", "--json", "-"])
    record = json.loads(capsys.readouterr().out)

    assert code == 0
    assert record["path"] == "-"
    assert record["cause"] == "network.timeout"


def test_usage_error_exits_one(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["investigate", str(INCIDENT), "--format", "pdf"])

    assert exit_info.value.code == 1
    assert "invalid choice" in capsys.readouterr().err


def test_usage_error_in_chinese(capsys):
    with pytest.raises(SystemExit):
        main(["investigate", "--lang", "zh-CN"])

    assert "缺少以下必需参数" in capsys.readouterr().err


def test_invalid_rca_lang_reported_without_traceback(monkeypatch, capsys):
    monkeypatch.setenv("RCA_LANG", "fr")

    code = main(["investigate", str(INCIDENT)])

    assert code == 1
    assert "rca: error:" in capsys.readouterr().err


def test_since_after_until_rejected(capsys):
    code = main(["investigate", str(INCIDENT), "--since", "2026-12-03T03:00:00Z",
                 "--until", "2026-12-03T01:00:00Z"])

    assert code == 1
    assert "later than --until" in capsys.readouterr().err


def test_unknown_txn_is_explained(capsys):
    code = main(["investigate", str(INCIDENT), "--txn", "run-9999", "--lang", "en"])

    assert code == 2
    assert "no run with transaction id run-9999" in capsys.readouterr().err


def test_empty_folder_is_explained(tmp_path, capsys):
    code = main(["investigate", str(tmp_path), "--lang", "en"])

    assert code == 2
    assert "no log lines found" in capsys.readouterr().err


def test_output_into_missing_folder_is_error(tmp_path, capsys):
    code = main(["investigate", str(INCIDENT), "-o", str(tmp_path / "absent" / "r.md")])

    assert code == 1
    assert "cannot write the report" in capsys.readouterr().err


def test_output_onto_folder_is_error(tmp_path, capsys):
    code = main(["investigate", str(INCIDENT), "-o", str(tmp_path)])

    assert code == 1
    assert "cannot write the report" in capsys.readouterr().err


def test_output_file_has_shareable_mode(tmp_path, capsys):
    import os
    import stat

    target = tmp_path / "r.md"
    old_mask = os.umask(0o022)
    try:
        main(["investigate", str(INCIDENT), "-o", str(target)])
    finally:
        os.umask(old_mask)

    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_diagnose_continues_after_missing_file(tmp_path, capsys):
    good = tmp_path / "dns.log"
    good.write_text("go: lookup proxy.example.net on 127.0.0.53:53: no such host\n")

    code = main(["diagnose", "--json", str(tmp_path / "absent.log"), str(good)])
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]

    assert code == 1
    assert lines[0]["error"]
    assert lines[1]["cause"] == "network.dns"


def test_diagnose_folder_is_explained(tmp_path, capsys):
    code = main(["diagnose", str(tmp_path), "--lang", "en"])

    assert code == 1
    assert "is a folder" in capsys.readouterr().err


def test_streaming_path_gives_same_statuses(monkeypatch, capsys):
    expected = _investigate_json(capsys, str(INCIDENT))
    monkeypatch.setenv("RCA_STREAM_ABOVE_MB", "0")

    streamed = _investigate_json(capsys, str(INCIDENT))

    def summary(report):
        return [(txn["id"], txn["status"], txn["cause"]) for txn in report["transactions"]]

    assert summary(streamed) == summary(expected)


def test_skip_reasons_follow_report_language(capsys):
    damaged = ROOT / "fixtures" / "incidents" / "2026-12-11-damaged"

    main(["investigate", str(damaged), "--lang", "zh-CN"])
    report = capsys.readouterr().out

    assert "二进制文件" in report
    assert "binary file" not in report


def test_kb_eval_without_index_is_explained(tmp_path, capsys):
    code = main(["kb", "eval", str(tmp_path), "--lang", "en"])

    assert code == 1
    assert "has no INDEX.tsv" in capsys.readouterr().err


def test_replaced_report_keeps_its_mode(tmp_path, capsys):
    import stat

    target = tmp_path / "r.md"
    target.write_text("old\n")
    target.chmod(0o600)

    main(["investigate", str(INCIDENT), "-o", str(target)])

    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_streamed_line_accounting_adds_up(monkeypatch, capsys):
    monkeypatch.setenv("RCA_STREAM_ABOVE_MB", "0")

    report = _investigate_json(capsys, str(INCIDENT))

    for item in report["data_quality"]["files"]:
        if item.get("skipped"):
            continue
        buckets = (item["parsed"] + item["unparsed"] + item["continuation"]
                   + item["duplicates"] + item["skimmed"])
        assert buckets == item["lines_read"], item["path"]


def test_journald_copy_not_cited_twice(capsys):
    report = _investigate_json(capsys, str(INCIDENT), "--txn", "run-0104")

    evidence = report["transactions"][0]["evidence"]
    messages = [item["message"] for item in evidence]
    assert len(messages) == len(set(messages))


def test_lang_before_command(capsys):
    code = main(["--lang", "zh-CN", "investigate", str(INCIDENT)])

    assert code == 0
    assert "根因" in capsys.readouterr().out


def test_kb_unknowns_reads_folder(tmp_path, capsys):
    (tmp_path / "a.log").write_text("cgo: gcc: error: unrecognized command-line option -marm\n")
    (tmp_path / "b.log").write_text("cgo: gcc: error: unrecognized command-line option -mthumb\n")

    code = main(["kb", "unknowns", str(tmp_path), "--lang", "en"])
    output = capsys.readouterr()

    assert code == 0
    assert "is a folder" not in output.err
    assert "unrecognized command-line option" in output.out
