"""Clock-offset estimation from ordered cross-node events."""

import math

import pytest

from rca.skew import collect_bounds, estimate_offsets
from rca.testing.events import make_event


def _dispatch_run(txn, dispatch, first, last, collect, target="worker"):
    return [
        make_event("dispatch", clock=dispatch, node="ctl", txn=txn, step="dispatch",
                   target=target),
        make_event("install", clock=first, node=target, txn=txn),
        make_event("done", clock=last, node=target, txn=txn),
        make_event("collected", clock=collect, node="ctl", txn=txn, step="collect",
                   source=target),
    ]


def test_worker_clock_ahead_is_estimated():
    # The worker's clock runs 5 s ahead: it logs its first line "before" the dispatch
    # would allow only if corrected; true work takes 1 s after dispatch.
    events = _dispatch_run("r1", "02:00:00", "02:00:05.5", "02:00:06", "02:00:01.5")

    report = estimate_offsets(collect_bounds(events))

    worker = report.estimates["worker"]
    assert worker.offset == pytest.approx(4.5, abs=0.01)
    assert worker.uncertainty == pytest.approx(1.0, abs=0.01)
    assert report.estimates["ctl"].offset == 0.0


def test_more_runs_narrow_uncertainty():
    events = [*_dispatch_run("r1", "02:00:00", "02:00:05.5", "02:00:06", "02:00:01.5"),
              *_dispatch_run("r2", "02:10:00", "02:10:05.1", "02:10:06", "02:10:01.2")]

    report = estimate_offsets(collect_bounds(events))

    assert report.estimates["worker"].uncertainty < 0.5


def test_configured_offset_anchors_estimates():
    events = _dispatch_run("r1", "02:00:00", "02:00:05.5", "02:00:06", "02:00:01.5")

    report = estimate_offsets(collect_bounds(events), {"ctl": 1.0})

    assert report.estimates["ctl"].configured is True
    assert report.estimates["worker"].offset == pytest.approx(5.5, abs=0.01)


def test_contradicting_runs_produce_warning():
    events = [*_dispatch_run("r1", "02:00:00", "02:00:05.5", "02:00:06", "02:00:01.5"),
              *_dispatch_run("r2", "02:10:00", "02:09:50", "02:09:51", "02:10:02")]

    report = estimate_offsets(collect_bounds(events))

    assert any("contradict" in warning for warning in report.warnings)


def test_single_node_gives_no_estimates():
    events = [make_event("x", clock="02:00:00", node="a", txn="r"),
              make_event("y", clock="02:00:01", node="a", txn="r")]

    report = estimate_offsets(collect_bounds(events))

    assert report.estimates == {}


def test_one_sided_bound_corrects_impossible_order():
    events = [
        make_event("dispatch", clock="02:00:10", node="ctl", txn="r", step="dispatch",
                   target="worker"),
        make_event("install", clock="02:00:07", node="worker", txn="r"),
    ]

    report = estimate_offsets(collect_bounds(events))

    assert report.estimates["worker"].offset == pytest.approx(-3.0, abs=0.01)
    assert math.isinf(report.estimates["worker"].uncertainty)


def test_satisfied_one_sided_bound_gives_no_estimate():
    events = [
        make_event("dispatch", clock="02:00:00", node="ctl", txn="r", step="dispatch",
                   worker="worker"),
        make_event("install", clock="02:00:01", node="worker", txn="r"),
    ]

    report = estimate_offsets(collect_bounds(events))

    assert report.estimates == {}


def test_synchronized_clocks_need_no_correction():
    # The worker starts 0.5 s after dispatch and finishes 0.5 s before collect:
    # an offset of zero satisfies both bounds, so none is applied.
    events = _dispatch_run("r1", "02:00:00", "02:00:00.5", "02:00:03", "02:00:03.5")

    report = estimate_offsets(collect_bounds(events))

    assert report.estimates["worker"].offset == 0.0
    assert report.estimates["worker"].uncertainty == pytest.approx(0.5)
