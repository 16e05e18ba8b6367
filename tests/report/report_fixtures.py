"""Hand-built investigations and a small stand-in for the knowledge base, for report tests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from rca.model import (
    Diagnosis,
    Event,
    FileStats,
    Fix,
    Investigation,
    Level,
    Origin,
    SourceKind,
    Transaction,
)

# 2026-12-03T02:14:00Z, the start of the failed run.
T0 = dt.datetime(2026, 12, 3, 2, 14, 0, tzinfo=dt.UTC).timestamp()

AVC_MESSAGE = (
    'avc:  denied  { write } for  pid=4242 comm="go" name="bin" dev="dm-0" ino=1312 '
    "scontext=system_u:system_r:rpm_script_t:s0 "
    "tcontext=system_u:object_r:usr_t:s0 tclass=dir permissive=0"
)


@dataclass(frozen=True)
class FakeCauseText:
    title: str
    explanation: str
    fixes: list[Fix]
    references: list[str] = field(default_factory=list)
    remedy: str = "manual"


class FakeKnowledgeBase:
    """Describe three causes in English and Chinese, filling in the diagnosis values."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def describe(self, diagnosis: Diagnosis, lang: str) -> FakeCauseText:
        self.calls.append((diagnosis.cause, lang))
        chinese = lang == "zh-CN"
        path = diagnosis.values.get("path", "")
        if diagnosis.cause == "perm.selinux_avc":
            return FakeCauseText(
                title="SELinux 拒绝了访问" if chinese else "SELinux denied the access",
                explanation=(
                    f"SELinux 策略不允许安装程序写入 {path}。"
                    if chinese
                    else f"The SELinux policy does not allow the installer to write to {path}."
                ),
                fixes=[
                    Fix(
                        text=f"恢复 {path} 的默认安全上下文" if chinese
                        else f"Restore the default context of {path}",
                        command=f"restorecon -Rv {path}",
                    ),
                    Fix(text="检查 audit 日志中的其他拒绝记录" if chinese
                        else "Check the audit log for other denials"),
                ],
                references=["https://example.org/selinux-avc", "javascript:alert(1)"],
                remedy="manual",
            )
        if diagnosis.cause == "network.timeout":
            return FakeCauseText(
                title="网络操作超时" if chinese else "A network operation timed out",
                explanation="连接模块代理超时。" if chinese else "The module proxy did not answer.",
                fixes=[
                    Fix(text="重试安装" if chinese else "Retry the install", command="rca-retry")
                ],
                remedy="auto",
            )
        return FakeCauseText(
            title="未知原因" if chinese else "Unknown cause",
            explanation="",
            fixes=[],
            remedy="manual",
        )


def make_event(
    offset: float | None,
    node: str,
    message: str,
    *,
    level: Level = Level.INFO,
    kind: SourceKind = SourceKind.INSTALLER,
    path: str | None = None,
    line: int = 1,
    txn: str | None = None,
    fields: dict[str, object] | None = None,
) -> Event:
    return Event(
        timestamp=None if offset is None else T0 + offset,
        node=node,
        kind=kind,
        level=level,
        message=message,
        raw=message,
        origin=Origin(path or f"{node}/install.log", line),
        sequence=line,
        transaction_id=txn,
        fields=dict(fields or {}),
    )


def avc_run() -> Transaction:
    """A run over two nodes whose first error is an AVC denial on node-b."""
    events = [
        make_event(0.0, "node-a", "run started", line=1, txn="run-0042"),
        make_event(0.5, "node-b", "run started", path="node-b/install.log", line=1, txn="run-0042"),
        make_event(2.0, "node-a", "step go-install", line=2, txn="run-0042"),
        make_event(
            5.001, "node-b", AVC_MESSAGE, level=Level.ERROR, kind=SourceKind.AUDIT,
            path="node-b/audit/audit.log", line=118, fields={"scontext": "rpm_script_t"},
        ),
        make_event(
            5.004, "node-b", "mkdir /usr/local/go/bin: permission denied",
            level=Level.ERROR, path="node-b/install.log", line=7, txn="run-0042",
            fields={"exit_code": 1},
        ),
        make_event(
            6.0, "node-a", "run failed", level=Level.ERROR, line=9, txn="run-0042",
        ),
    ]
    diagnosis = Diagnosis(
        cause="perm.selinux_avc",
        confidence=0.92,
        decided_by="rule:selinux_avc",
        evidence=[events[3], events[4]],
        values={"path": "/usr/local/go/bin"},
        alternatives=[("perm.denied", 0.06), ("perm.selinux_avc", 0.92)],
    )
    return Transaction(
        id="run-0042",
        events=events,
        nodes=["node-a", "node-b"],
        start=T0,
        end=T0 + 6.0,
        failed=True,
        first_error=events[3],
        symptoms=[events[4], events[5]],
        diagnosis=diagnosis,
    )


def long_run(count: int = 120) -> Transaction:
    """A run on one node with `count` events and one timeout error in the middle."""
    events = [
        make_event(100.0 + i, "node-c", f"download chunk {i}", line=i + 1, txn="run-0043")
        for i in range(count)
    ]
    middle = count // 2
    events[middle] = make_event(
        100.0 + middle, "node-c", "dial tcp 10.0.0.7:443: i/o timeout",
        level=Level.ERROR, line=middle + 1, txn="run-0043",
    )
    diagnosis = Diagnosis(
        cause="network.timeout", confidence=0.81, decided_by="classifier", evidence=[events[middle]]
    )
    return Transaction(
        id="run-0043",
        events=events,
        nodes=["node-c"],
        start=T0 + 100.0,
        end=T0 + 100.0 + count - 1,
        failed=True,
        first_error=events[middle],
        symptoms=[],
        diagnosis=diagnosis,
    )


def succeeded_run(run_id: str, start: float, nodes: list[str]) -> Transaction:
    events = [
        make_event(start, node, "run started", line=1, txn=run_id) for node in nodes
    ] + [make_event(start + 30.0, nodes[0], "run finished", line=2, txn=run_id)]
    return Transaction(
        id=run_id, events=events, nodes=nodes, start=T0 + start, end=T0 + start + 30.0
    )


def file_stats() -> list[FileStats]:
    installer = FileStats(
        path="node-a/install.log", format="installer", node="node-a",
        lines_read=40, parsed=36, unparsed=2, continuation=1, duplicates=1,
        unparsed_examples=[(12, "garbage | with `pipes`"), (13, "<b>not bold</b>")],
    )
    audit = FileStats(
        path="node-b/audit/audit.log", format="audit", node="node-b",
        lines_read=200, parsed=200, timestamps_inferred=0,
        warnings=["3 records have no matching SYSCALL record"],
    )
    journal = FileStats(
        path="node-b/journal.txt", format="journald", node="node-b",
        lines_read=10, parsed=9, unparsed=1, timestamps_inferred=9,
    )
    skipped = FileStats(path="node-a/core.bin", node="node-a", skipped="binary file")
    return [installer, audit, journal, skipped]


def build_investigation() -> Investigation:
    return Investigation(
        sources=["incidents/2026-12-03"],
        transactions=[
            avc_run(),
            long_run(),
            succeeded_run("run-0040", -600.0, ["node-a", "node-b"]),
            succeeded_run("run-0041", -300.0, ["node-c"]),
        ],
        files=file_stats(),
        warnings=["Elasticsearch returned partial results: 1 of 3 shards failed"],
        generated_at=T0 + 3600.0,
        unassigned_events=5,
        window_margin=30.0,
        clock_offsets={"node-b": (0.35, 0.02)},
    )


# Log-derived text that would inject markup into an unescaped report.
HOSTILE_MESSAGE = (
    '<script>alert("x")</script> | `tick` **bold** [click](http://evil.example/x) &amp; "quote"'
)
HOSTILE_NODE = 'node-<b>"x"</b>'
HOSTILE_RUN_ID = 'run-"><script>alert(1)</script>'


def hostile_investigation() -> Investigation:
    """A failed run whose node name, run id, message, path and values carry markup."""
    first = make_event(
        1.0, HOSTILE_NODE, HOSTILE_MESSAGE, level=Level.ERROR, kind=SourceKind.AUDIT,
        path=f"{HOSTILE_NODE}/audit.log", line=3, txn=HOSTILE_RUN_ID,
    )
    events = [
        make_event(
            0.0, HOSTILE_NODE, "run started", path=f"{HOSTILE_NODE}/i.log", txn=HOSTILE_RUN_ID
        ),
        first,
        make_event(
            2.0, HOSTILE_NODE, HOSTILE_MESSAGE, level=Level.ERROR, line=4, txn=HOSTILE_RUN_ID
        ),
    ]
    diagnosis = Diagnosis(
        cause="perm.selinux_avc", confidence=0.5, decided_by="rule:selinux_avc",
        evidence=[first], values={"path": HOSTILE_MESSAGE},
    )
    run = Transaction(
        id=HOSTILE_RUN_ID, events=events, nodes=[HOSTILE_NODE], start=T0, end=T0 + 2.0,
        failed=True, first_error=first, symptoms=[events[2]], diagnosis=diagnosis,
    )
    stats = FileStats(
        path=f"{HOSTILE_NODE}/audit.log", format="audit", node=HOSTILE_NODE, lines_read=2,
        parsed=1, unparsed=1, unparsed_examples=[(2, HOSTILE_MESSAGE)],
        warnings=[HOSTILE_MESSAGE],
    )
    skipped = FileStats(path=f"{HOSTILE_NODE}/x.gz", node=HOSTILE_NODE, skipped=HOSTILE_MESSAGE)
    return Investigation(
        sources=[HOSTILE_MESSAGE],
        transactions=[run],
        files=[stats, skipped],
        warnings=[HOSTILE_MESSAGE],
        generated_at=T0,
        clock_offsets={HOSTILE_NODE: (-1.5, 0.1)},
    )
