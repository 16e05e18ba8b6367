"""Alignment: transactions by id, same-node context joined by window."""

from rca.align import align, apply_clock_offsets
from rca.model import Level, SourceKind
from rca.testing.events import at, make_event

AUDIT = SourceKind.AUDIT
JOURNALD = SourceKind.JOURNALD


def test_events_with_one_id_form_one_transaction_across_nodes():
    events = [
        make_event("dispatch", clock="02:00:00", node="ctl", txn="run-1"),
        make_event("install", clock="02:00:05", node="worker", txn="run-1"),
    ]

    result = align(events)

    assert [txn.id for txn in result.transactions] == ["run-1"]
    assert result.transactions[0].nodes == ["ctl", "worker"]
    assert result.transactions[0].start == at("02:00:00")
    assert result.transactions[0].end == at("02:00:05")


def test_context_event_joins_window_on_same_node_only():
    own = make_event("start", clock="02:00:00", node="web-1", txn="run-1")
    same_node = make_event("avc", clock="02:00:10", node="web-1", kind=AUDIT)
    other_node = make_event("avc", clock="02:00:10", node="web-2", kind=AUDIT)

    result = align([own, same_node, other_node], margin=30)

    assert same_node in result.transactions[0].events
    assert other_node not in result.transactions[0].events
    assert result.unassigned == [other_node]


def test_margin_widens_window_on_both_sides():
    own = [make_event("start", clock="02:00:00", node="n", txn="run-1"),
           make_event("end", clock="02:01:00", node="n", txn="run-1")]
    before = make_event("before", clock="01:59:45", node="n", kind=JOURNALD)
    after = make_event("after", clock="02:01:20", node="n", kind=JOURNALD)
    outside = make_event("outside", clock="02:01:31", node="n", kind=JOURNALD)

    result = align([*own, before, after, outside], margin=30)

    joined = result.transactions[0].events
    assert before in joined
    assert after in joined
    assert outside not in joined
    assert result.unassigned == [outside]


def test_event_outside_every_window_is_unassigned():
    own = make_event("start", clock="02:00:00", node="n", txn="run-1")
    far = make_event("routine", clock="05:00:00", node="n", kind=AUDIT)

    result = align([own, far], margin=30)

    assert result.unassigned == [far]


def test_event_without_id_or_timestamp_is_unassigned():
    own = make_event("start", clock="02:00:00", node="n", txn="run-1")
    untimed = make_event("dmesg line", clock=None, node="n", kind=SourceKind.SYSLOG)

    result = align([own, untimed])

    assert result.unassigned == [untimed]


def test_overlapping_runs_on_one_node_share_context():
    first = [make_event("a", clock="02:00:00", node="n", txn="run-1"),
             make_event("a", clock="02:02:00", node="n", txn="run-1")]
    second = [make_event("b", clock="02:01:00", node="n", txn="run-2"),
              make_event("b", clock="02:03:00", node="n", txn="run-2")]
    shared = make_event("avc", clock="02:01:30", node="n", kind=AUDIT, level=Level.ERROR)

    result = align([*first, *second, shared], margin=0)

    assert all(shared in txn.events for txn in result.transactions)


def test_windows_are_per_node_for_a_run_on_two_nodes():
    events = [
        make_event("dispatch", clock="02:00:00", node="ctl", txn="run-1"),
        make_event("dispatch done", clock="02:00:01", node="ctl", txn="run-1"),
        make_event("install", clock="02:05:00", node="worker", txn="run-1"),
    ]
    ctl_late = make_event("ctl journal", clock="02:05:00", node="ctl", kind=JOURNALD)
    worker_avc = make_event("avc", clock="02:04:59", node="worker", kind=AUDIT)

    result = align([*events, ctl_late, worker_avc], margin=10)

    joined = result.transactions[0].events
    assert worker_avc in joined
    assert ctl_late not in joined


def test_events_sorted_by_time_then_origin_order():
    later = make_event("later", clock="02:00:02", node="n", txn="run-1", path="n/i.log", line=1)
    tie_second = make_event("tie b", clock="02:00:01", node="n", txn="run-1",
                            path="n/i.log", line=3)
    tie_first = make_event("tie a", clock="02:00:01", node="n", txn="run-1",
                           path="n/i.log", line=2)
    tie_first.sequence, tie_second.sequence = 2, 3

    result = align([later, tie_second, tie_first])

    assert [event.message for event in result.transactions[0].events] == \
        ["tie a", "tie b", "later"]


def test_transactions_ordered_by_start():
    events = [make_event("x", clock="03:00:00", txn="late"),
              make_event("x", clock="01:00:00", txn="early")]

    result = align(events)

    assert [txn.id for txn in result.transactions] == ["early", "late"]


def test_clock_offset_shifts_node_timestamps():
    fast = make_event("x", clock="02:00:05", node="fast")
    exact = make_event("x", clock="02:00:05", node="exact")

    apply_clock_offsets([fast, exact], {"fast": 5.0})

    assert fast.timestamp == at("02:00:00")
    assert exact.timestamp == at("02:00:05")
