"""Detection: failed runs, the first error and its symptoms."""

from rca.align import align
from rca.detect import detect
from rca.model import Level, SourceKind
from rca.testing.events import make_event

ERROR = Level.ERROR


def _run(events, **options):
    transactions = align(events, margin=30).transactions
    detect(transactions, **options)
    return transactions[0]


def test_run_without_errors_succeeds():
    txn = _run([make_event("run started", txn="r"), make_event("run finished", txn="r")])

    assert txn.failed is False
    assert txn.first_error is None


def test_error_record_fails_run():
    error = make_event("dial tcp: i/o timeout", clock="02:00:01", txn="r", level=ERROR)

    txn = _run([make_event("run started", txn="r"), error])

    assert txn.failed is True
    assert txn.first_error is error


def test_nonzero_exit_fails_run():
    txn = _run([make_event("step done", txn="r", exit_code=2)])

    assert txn.failed is True


def test_zero_exit_does_not_fail_run():
    txn = _run([make_event("step done", txn="r", exit_code=0)])

    assert txn.failed is False


def test_avc_before_installer_error_is_first_error():
    avc = make_event("avc: denied { write }", clock="02:00:00.995", node="n",
                     kind=SourceKind.AUDIT, level=ERROR)
    denied = make_event("open /usr/local/bin/dlv: permission denied", clock="02:00:01",
                        node="n", txn="r", level=ERROR)
    wrapper = make_event("run failed", clock="02:00:02", node="n", txn="r", level=ERROR)

    txn = _run([make_event("run started", node="n", txn="r"), denied, wrapper, avc])

    assert txn.first_error is avc
    assert txn.symptoms == [denied, wrapper]


def test_context_error_alone_does_not_fail_run():
    avc = make_event("avc: denied (permissive)", clock="02:00:01", node="n",
                     kind=SourceKind.AUDIT, level=ERROR)

    txn = _run([make_event("run started", node="n", txn="r"), avc,
                make_event("run finished", clock="02:00:02", node="n", txn="r")])

    assert txn.failed is False


def test_unrecognized_context_error_is_not_first_error():
    noise = make_event("sshd: error: kex", clock="02:00:00.5", node="n",
                       kind=SourceKind.JOURNALD, level=ERROR)
    error = make_event("no space left on device", clock="02:00:01", node="n", txn="r",
                       level=ERROR)

    txn = _run([noise, error], is_causal=lambda event: "avc" in event.message)

    assert txn.first_error is error


def test_context_error_before_causal_lead_is_ignored():
    old = make_event("avc: denied", clock="01:59:40", node="n", kind=SourceKind.AUDIT,
                     level=ERROR)
    start = make_event("run started", clock="01:59:30", node="n", txn="r")
    error = make_event("permission denied", clock="02:00:00", node="n", txn="r", level=ERROR)

    txn = _run([start, old, error], causal_lead=10)

    assert txn.first_error is error


def test_error_within_clock_uncertainty_is_ambiguous():
    first = make_event("dial tcp: i/o timeout", clock="02:00:01.0", node="a", txn="r",
                       level=ERROR)
    close = make_event("fetch failed", clock="02:00:01.3", node="b", txn="r", level=ERROR)
    far = make_event("run failed", clock="02:00:03", node="b", txn="r", level=ERROR)
    transactions = align([first, close, far]).transactions

    detect(transactions, clock_uncertainty={"a": 0.2, "b": 0.2})

    assert transactions[0].ambiguous_order == [close]


def test_journald_copy_of_error_is_not_a_symptom():
    error = make_event("dial tcp 10.1.2.3:443: i/o timeout", clock="02:00:01.164", node="n",
                       txn="r", level=ERROR)
    copy = make_event("dial tcp 10.1.2.3:443: i/o timeout", clock="02:00:01.165", node="n",
                      txn="r", level=ERROR, kind=SourceKind.JOURNALD)
    wrapper = make_event("run failed", clock="02:00:02", node="n", txn="r", level=ERROR)

    txn = _run([error, copy, wrapper])

    assert txn.first_error is error
    assert txn.symptoms == [wrapper]


def test_same_message_on_other_node_is_kept():
    first = make_event("no such host", clock="02:00:01", node="a", txn="r", level=ERROR)
    other = make_event("no such host", clock="02:00:01.5", node="b", txn="r", level=ERROR,
                       kind=SourceKind.JOURNALD)

    txn = _run([first, other])

    assert txn.symptoms == [other]
