"""Diagnosis of excerpts and transactions: rules, priorities, classifier, unknown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rca.diagnose import (
    diagnose_excerpt,
    diagnose_transaction,
    events_from_file,
    events_from_text,
    first_error_line,
)
from rca.kb import KnowledgeBase, load_knowledge_base
from rca.model import Event, Level, Origin, SourceKind, Transaction

RULES = '''
cause t.generic {
    title en "Generic" title zh-CN "通用"
    explanation en "x" explanation zh-CN "x"
    rule broad when message contains "failed"
    fix en "x" fix zh-CN "x"
}

cause t.specific {
    title en "Specific" title zh-CN "具体"
    explanation en "x" explanation zh-CN "x"
    outranks t.generic
    rule narrow when message ~ /disk (?P<disk>\\w+) failed/
    fix en "x" fix zh-CN "x"
}

cause t.early {
    title en "Early" title zh-CN "早"
    explanation en "x" explanation zh-CN "x"
    rule plain when message contains "boom"
    rule with_context confidence 0.8 when message contains "boom" with message contains "spark"
    fix en "x" fix zh-CN "x"
}

cause t.late {
    title en "Late" title zh-CN "晚"
    explanation en "x" explanation zh-CN "x"
    rule late when message contains "crash"
    fix en "x" fix zh-CN "x"
}

cause t.special {
    title en "Special" title zh-CN "特殊"
    explanation en "x" explanation zh-CN "x"
    rule only_with_marker outranks t.late
        when message contains "crash" and message contains "marker"
    rule fizz when message contains "fizz"
    extract message ~ /code=(?P<code>\\d+)/
    fix en "x" fix zh-CN "x"
}
'''


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory,
                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "cache"))


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    path = tmp_path_factory.mktemp("rules") / "t.rca"
    path.write_text(RULES, encoding="utf-8")
    return load_knowledge_base([path])


@pytest.fixture(scope="module")
def shipped() -> KnowledgeBase:
    return load_knowledge_base()


def _diagnose(kb: KnowledgeBase, text: str) -> Any:
    return diagnose_excerpt(events_from_text(text), kb, classifier=False)


def test_rule_decides_with_name(kb: KnowledgeBase) -> None:
    diagnosis = _diagnose(kb, "all good\ndisk sdb failed")

    assert diagnosis.cause == "t.specific"
    assert diagnosis.decided_by == "rule:t.specific/narrow"
    assert diagnosis.confidence == 0.9
    assert diagnosis.values["disk"] == "sdb"
    assert [event.origin.line for event in diagnosis.evidence] == [2]


def test_outranked_cause_loses_even_when_earlier(kb: KnowledgeBase) -> None:
    diagnosis = _diagnose(kb, "job failed\ndisk sda failed")

    assert diagnosis.cause == "t.specific"
    assert diagnosis.alternatives == [("t.generic", 0.9)]


def test_earlier_line_wins_without_priority(kb: KnowledgeBase) -> None:
    assert _diagnose(kb, "crash\nboom").cause == "t.late"
    assert _diagnose(kb, "boom\ncrash").cause == "t.early"


def test_more_specific_rule_wins_on_same_line(kb: KnowledgeBase) -> None:
    diagnosis = _diagnose(kb, "boom\nspark")

    assert diagnosis.decided_by == "rule:t.early/with_context"
    assert [event.origin.line for event in diagnosis.evidence] == [1, 2]


def test_rule_level_outranks_applies_only_to_that_rule(kb: KnowledgeBase) -> None:
    assert _diagnose(kb, "crash\nfizz").cause == "t.late"
    assert _diagnose(kb, "crash\ncrash marker").cause == "t.special"


def test_values_from_extract_and_other_lines(kb: KnowledgeBase) -> None:
    diagnosis = _diagnose(kb, "fizz\nexit code=17")

    assert diagnosis.values["code"] == "17"
    assert diagnosis.values["kind"] == "tool-output"


def test_evidence_keeps_every_line_of_the_cause(kb: KnowledgeBase) -> None:
    diagnosis = _diagnose(kb, "fizz one\nnoise\nfizz two")

    assert [event.origin.line for event in diagnosis.evidence] == [1, 3]


def test_unknown_when_nothing_matches(kb: KnowledgeBase) -> None:
    diagnosis = _diagnose(kb, "starting\nerror: widget jammed\nstopping")

    assert diagnosis.cause == "unknown"
    assert diagnosis.decided_by == "none"
    assert diagnosis.confidence == 0.0
    assert [event.origin.line for event in diagnosis.evidence] == [2]


def test_empty_excerpt_is_unknown(kb: KnowledgeBase) -> None:
    diagnosis = diagnose_excerpt([], kb)

    assert diagnosis.cause == "unknown"
    assert diagnosis.evidence == []


def test_classifier_decides_when_no_rule_matches(shipped: KnowledgeBase) -> None:
    excerpt = "job 12 stopped: write /var/spool/jobs/12.tmp: no space left on device"

    diagnosis = diagnose_excerpt(events_from_text(excerpt), shipped, rules=False)

    assert diagnosis.cause == "disk.full"
    assert diagnosis.decided_by == "classifier"
    assert 0.3 <= diagnosis.confidence <= 1.0
    assert diagnosis.values["path"] == "/var/spool/jobs/12.tmp"


def test_without_classifier_unmatched_is_unknown(shipped: KnowledgeBase) -> None:
    diagnosis = diagnose_excerpt(events_from_text("widget jammed"), shipped, classifier=False)

    assert diagnosis.decided_by == "none"


def _event(message: str, *, timestamp: float, node: str = "node-01",
           kind: SourceKind = SourceKind.INSTALLER, level: Level = Level.ERROR,
           fields: dict[str, Any] | None = None) -> Event:
    return Event(timestamp=timestamp, node=node, kind=kind, level=level, message=message,
                 raw=message, origin=Origin(f"{node}/install.log", int(timestamp)),
                 transaction_id="run-7", fields=fields or {})


def _avc(node: str, timestamp: float) -> Event:
    message = ('avc:  denied  { write } for  pid=4120 comm="installer" name="bin" '
               "scontext=system_u:system_r:rpm_script_t:s0 tcontext=system_u:object_r:usr_t:s0 "
               "tclass=dir permissive=0")
    return _event(message, timestamp=timestamp, node=node, kind=SourceKind.AUDIT,
                  fields={"type": "AVC"})


def _transaction(*context: Event) -> Transaction:
    denied = _event("install step failed: mkdir /usr/lib/agent/bin: permission denied",
                    timestamp=1000.0)
    events = sorted([denied, *context], key=Event.sort_key)
    return Transaction("run-7", events=events, nodes=["node-01"], failed=True, first_error=denied)


@pytest.mark.parametrize(("context", "cause"), [
    ((), "perm.denied"),
    ((_avc("node-01", 999.2),), "perm.selinux_avc"),
    ((_avc("node-02", 999.2),), "perm.denied"),
    ((_avc("node-01", 940.0),), "perm.denied"),
], ids=["no-audit", "avc-same-node", "avc-other-node", "avc-too-early"])
def test_transaction_context_names_selinux(shipped: KnowledgeBase, context: tuple[Event, ...],
                                           cause: str) -> None:
    assert diagnose_transaction(_transaction(*context), shipped).cause == cause


def test_transaction_values_from_context_event(shipped: KnowledgeBase) -> None:
    diagnosis = diagnose_transaction(_transaction(_avc("node-01", 999.5)), shipped)

    assert diagnosis.decided_by == "rule:perm.selinux_avc/denied_after_avc"
    assert diagnosis.values["tcontext"] == "system_u:object_r:usr_t:s0"
    assert diagnosis.values["node"] == "node-01"
    assert len(diagnosis.evidence) == 2


def test_transaction_symptom_explains_vague_first_error(shipped: KnowledgeBase) -> None:
    first = _event("step go-install failed", timestamp=10.0)
    symptom = _event("go: example.org/x@v1.0.0: Get \"https://proxy.golang.org/x\": "
                     "dial tcp 192.0.2.5:443: i/o timeout", timestamp=10.5)
    txn = Transaction("run-8", events=[first, symptom], failed=True, first_error=first,
                      symptoms=[symptom])

    assert diagnose_transaction(txn, shipped).cause == "network.timeout"


def test_transaction_without_first_error_uses_error_events(shipped: KnowledgeBase) -> None:
    info = _event("downloading", timestamp=1.0, level=Level.INFO)
    error = _event("E: Unable to locate package agent-tools", timestamp=2.0)
    txn = Transaction("run-9", events=[info, error], failed=True)

    diagnosis = diagnose_transaction(txn, shipped)

    assert diagnosis.cause == "apt.package_not_found"
    assert diagnosis.values["package"] == "agent-tools"


def test_events_from_text_one_per_line() -> None:
    events = events_from_text("first\n\nthird", path="paste.txt")

    assert [event.message for event in events] == ["first", "", "third"]
    assert [str(event.origin) for event in events] == ["paste.txt:1", "paste.txt:2", "paste.txt:3"]
    assert all(event.timestamp is None and event.kind == SourceKind.TOOL_OUTPUT for event in events)


def test_events_from_file_replaces_bad_bytes(tmp_path: Path) -> None:
    path = tmp_path / "excerpt.log"
    path.write_bytes(b"ok\nbad \xff byte\n")

    events = events_from_file(path)

    assert events[1].message == "bad \ufffd byte"


@pytest.mark.parametrize(("text", "line"), [
    ("one\nE: broken\nthree", 2),
    ("one\ntwo failed\nthree", 2),
    ("one\ntwo", 2),
], ids=["apt-prefix", "error-word", "last-line"])
def test_first_error_line(text: str, line: int) -> None:
    event = first_error_line(events_from_text(text))

    assert event is not None
    assert event.origin.line == line


def test_audit_fields_fill_fix_values():
    from rca.testing.events import make_event

    avc = make_event('avc: denied { write } for comm="go" name="dlv" '
                     'scontext=system_u:system_r:init_t:s0 '
                     'tcontext=unconfined_u:object_r:admin_home_t:s0 tclass=file',
                     kind=SourceKind.AUDIT, level=Level.ERROR, comm="go",
                     permissions=["write"])
    avc.fields["path"] = "/opt/tools/bin/dlv"

    diagnosis = diagnose_excerpt([avc], load_knowledge_base())

    assert diagnosis.cause == "perm.selinux_avc"
    assert diagnosis.values["path"] == "/opt/tools/bin/dlv"
    assert diagnosis.values["permission"] == "write"


def test_dns_host_taken_from_url_when_message_lacks_it():
    from rca.testing.events import make_event

    error = make_event("urlopen error [Errno -3] Temporary failure in name resolution "
                       "while fetching https://mirror.internal.example/pkg/index.json",
                       level=Level.ERROR)

    diagnosis = diagnose_excerpt([error], load_knowledge_base())

    assert diagnosis.cause == "network.dns"
    assert diagnosis.values["host"] == "mirror.internal.example"
