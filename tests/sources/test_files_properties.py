"""Properties of the files source on arbitrary bytes: no exception, lines accounted for."""

from __future__ import annotations

import gzip

from hypothesis import given, settings
from hypothesis import strategies as st

from rca.model import FileStats
from rca.sources.files import read_bytes

LINES = st.lists(
    st.one_of(
        st.binary(max_size=60),
        st.sampled_from([
            b"type=AVC msg=audit(1677601548.669:1599): avc:  denied  { read } for pid=1",
            b"2026-12-03T02:14:07.123Z ERROR txn=run-0042 exit=1 msg=\"x\"",
            b"Jun 14 15:16:01 combo sshd[1]: check pass",
            b'{"__REALTIME_TIMESTAMP":"1","MESSAGE":[104,105]}',
            b"__REALTIME_TIMESTAMP=1", b"MESSAGE", b"\x1d", b"\x00\x00", b"\xff\xfe",
        ]),
    ),
    max_size=30,
)


def assert_accounting(stats: FileStats) -> None:
    total = stats.parsed + stats.unparsed + stats.continuation + stats.duplicates
    assert stats.lines_read == total, stats


@settings(max_examples=300, deadline=None)
@given(lines=LINES, ending=st.sampled_from([b"\n", b"\r\n"]))
def test_any_bytes_read_without_error(lines: list[bytes], ending: bytes) -> None:
    data = ending.join(lines)

    events, stats = read_bytes(data, name="capture.txt")

    assert_accounting(stats)
    assert len(events) <= stats.lines_read
    assert sum(warning.startswith("read stopped") for warning in stats.warnings) <= 1
    if not stats.warnings and stats.skipped is None and stats.format != "journald-export":
        assert stats.lines_read == data.count(b"\n") + (0 if data.endswith(b"\n") or not data
                                                       else 1)


@settings(max_examples=100, deadline=None)
@given(lines=LINES, cut=st.integers(min_value=0, max_value=400))
def test_damaged_gzip_read_without_error(lines: list[bytes], cut: int) -> None:
    packed = gzip.compress(b"\n".join(lines))

    _, stats = read_bytes(packed[:cut], name="audit.log.1.gz")

    assert_accounting(stats)
