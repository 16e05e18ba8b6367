"""Crash reports in plain tool output: one event per Python traceback or Go crash."""

from __future__ import annotations

import pytest
from parser_helpers import ParseText, text_lines

from rca.align import align
from rca.detect import detect
from rca.model import FileStats, Level
from rca.parsers import tooloutput
from rca.parsers.base import ParseContext

PYTHON_TRACEBACK = """\
$ fleet-fetch --index https://plugins.example.com/index.json
Traceback (most recent call last):
  File "/opt/fleet/lib/fetch_index.py", line 57, in <module>
    index = urllib.request.urlopen(url, timeout=5).read()
            ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "/usr/lib/python3.11/urllib/request.py", line 1351, in do_open
    raise URLError(err)
urllib.error.URLError: <urlopen error [Errno -3] Temporary failure in name resolution>
fetch exited with status 1
"""

CHAINED_TRACEBACK = """\
Traceback (most recent call last):
  File "/opt/fleet/lib/config.py", line 12, in load
    return data["version"]
KeyError: 'version'

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "/opt/fleet/bin/fleet-install", line 8, in <module>
    main()
RuntimeError: invalid configuration /etc/fleet/agent.toml

done
"""

PIP_INDENTED = """\
  error: subprocess-exited-with-error
      Traceback (most recent call last):
        File "setup.py", line 4, in <module>
          import numpy
      ModuleNotFoundError: No module named 'numpy'
  note: This error originates from a subprocess.
"""

EXCEPTION_GROUP = """\
  + Exception Group Traceback (most recent call last):
  |   File "/opt/fleet/bin/fleet-sync", line 9, in <module>
  |     asyncio.run(main())
  | ExceptionGroup: unhandled errors in a TaskGroup (2 sub-exceptions)
  +-+---------------- 1 ----------------
    | Traceback (most recent call last):
    | ConnectionRefusedError: [Errno 111] Connect call failed ('10.20.0.5', 3128)
    +------------------------------------
sync aborted
"""

GO_PANIC = """\
go run ./cmd/dlv
panic: runtime error: invalid memory address or nil pointer dereference
[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x4a3f2c]

goroutine 1 [running]:
main.main()
\t/src/cmd/dlv/main.go:12 +0x1d

goroutine 7 [chan receive, 2 minutes]:
net/http.(*conn).serve(0xc000128000, {0x7a1c20, 0xc0000a4000})
\t/usr/local/go/src/net/http/server.go:2009 +0x1a
created by net/http.(*Server).Serve in goroutine 1
\t/usr/local/go/src/net/http/server.go:3285 +0x4b4

exit status 2
"""

GO_FATAL = """\
fatal error: all goroutines are asleep - deadlock!

goroutine 1 [chan receive]:
main.main()
\t/src/main.go:9 +0x2d
exit status 2
"""

GO_SIGQUIT = """\
SIGQUIT: quit
PC=0x46d7c1 m=0 sigcode=0

goroutine 0 gp=0x5a5b60 m=0 mp=0x5a6340 [idle]:
runtime.futex(0x5a6480, 0x80, 0x0, 0x0, 0x0, 0x0)
\t/usr/local/go/src/runtime/sys_linux_amd64.s:557 +0x21 fp=0x7ffd6f3b1d08
...additional frames elided...
rax    0xca
rip    0x46d7c1
"""

GOROUTINE_DUMP = """\
goroutine 1 [running]:
runtime/debug.Stack()
\t/usr/local/go/src/runtime/debug/stack.go:24 +0x5e
main.main()
\t/src/main.go:14 +0x25
"""

BUILDKIT = """\
#12 3.456 Traceback (most recent call last):
#12 3.457   File "/src/setup.py", line 3, in <module>
#12 3.457     import yaml
#12 3.458 ModuleNotFoundError: No module named 'yaml'
#12 3.460 ERROR: process did not complete successfully
"""


def test_python_traceback_is_one_event(parse_text: ParseText) -> None:
    events, stats = parse_text("tooloutput", PYTHON_TRACEBACK)

    assert [event.origin.line for event in events] == [1, 2, 9]
    assert events[1].message == ("urllib.error.URLError: <urlopen error [Errno -3] "
                                 "Temporary failure in name resolution>")
    assert events[1].raw == "\n".join(PYTHON_TRACEBACK.splitlines()[1:8])
    assert stats.continuation == 6


def test_python_traceback_is_an_error(parse_text: ParseText) -> None:
    text = ("Traceback (most recent call last):\n  File \"x.py\", line 1, in <module>\n"
            "subprocess.CalledProcessError: Command '['go', 'install']' returned non-zero "
            "exit status 1.\n")
    (event,), _ = parse_text("tooloutput", text)

    assert event.level == Level.ERROR
    assert event.fields["stack"] == "python"


def test_chained_traceback_is_one_event(parse_text: ParseText) -> None:
    events, stats = parse_text("tooloutput", CHAINED_TRACEBACK)

    assert len(events) == 2
    assert events[0].message == "RuntimeError: invalid configuration /etc/fleet/agent.toml"
    assert "KeyError: 'version'" in events[0].raw
    assert events[1].message == "done"
    assert stats.continuation == 10
    assert stats.parsed == 3


def test_indented_traceback_uses_its_own_indentation(parse_text: ParseText) -> None:
    events, _ = parse_text("tooloutput", PIP_INDENTED)

    assert [event.message for event in events] == [
        "  error: subprocess-exited-with-error",
        "ModuleNotFoundError: No module named 'numpy'",
        "  note: This error originates from a subprocess.",
    ]


def test_exception_group_is_one_event(parse_text: ParseText) -> None:
    events, _ = parse_text("tooloutput", EXCEPTION_GROUP)

    assert len(events) == 2
    assert events[0].message == "ExceptionGroup: unhandled errors in a TaskGroup (2 sub-exceptions)"
    assert "ConnectionRefusedError" in events[0].raw


def test_traceback_cut_before_exception_keeps_header(parse_text: ParseText) -> None:
    events, _ = parse_text("tooloutput",
                           "Traceback (most recent call last):\n  File \"x.py\", line 1\nDone.\n")

    assert [event.message for event in events] == ["Traceback (most recent call last):", "Done."]


def test_go_panic_with_goroutines_is_one_event(parse_text: ParseText) -> None:
    events, stats = parse_text("tooloutput", GO_PANIC)

    assert [event.origin.line for event in events] == [1, 2, 15]
    panic = events[1]
    assert panic.message == ("panic: runtime error: invalid memory address or nil pointer "
                             "dereference")
    assert panic.raw.endswith("server.go:3285 +0x4b4")
    assert panic.level == Level.ERROR
    assert panic.fields["stack"] == "go"
    assert stats.continuation == 11
    assert events[2].message == "exit status 2"


def test_go_fatal_error_takes_goroutine_block(parse_text: ParseText) -> None:
    events, _ = parse_text("tooloutput", GO_FATAL)

    assert [event.message for event in events] == [
        "fatal error: all goroutines are asleep - deadlock!", "exit status 2"]
    assert events[0].raw.count("\n") == 4


def test_go_signal_dump_takes_registers(parse_text: ParseText) -> None:
    (event,), _ = parse_text("tooloutput", GO_SIGQUIT)

    assert event.message == "SIGQUIT: quit"
    assert event.raw.endswith("rip    0x46d7c1")


def test_goroutine_dump_without_panic_keeps_level(parse_text: ParseText) -> None:
    (event,), _ = parse_text("tooloutput", GOROUTINE_DUMP)

    assert event.message == "goroutine 1 [running]:"
    assert event.level == Level.INFO


def test_c_compiler_fatal_error_stays_one_line(parse_text: ParseText) -> None:
    text = "fatal error: zlib.h: No such file or directory\ncompilation terminated.\n"
    events, _ = parse_text("tooloutput", text)

    assert [event.message for event in events] == [
        "fatal error: zlib.h: No such file or directory", "compilation terminated."]
    assert "stack" not in events[0].fields


def test_traceback_behind_buildkit_gutter(parse_text: ParseText) -> None:
    events, _ = parse_text("tooloutput", BUILDKIT)

    assert [event.message for event in events] == [
        "ModuleNotFoundError: No module named 'yaml'",
        "ERROR: process did not complete successfully",
    ]


def test_blank_lines_after_report_are_parsed(parse_text: ParseText) -> None:
    text = "panic: boom\n\ngoroutine 1 [running]:\nmain.main()\n\n\n\nnext\n"
    _, stats = parse_text("tooloutput", text)

    assert stats.continuation == 3
    assert stats.parsed == 5


def test_traceback_record_lines_noted() -> None:
    lines = text_lines(PYTHON_TRACEBACK)
    context = ParseContext(path="x", stats=FileStats(path="x", lines_read=len(lines)))
    events = list(tooloutput.parse(enumerate(lines, start=1), context))

    assert context.take_record_lines(events[1].origin.line) == (1, 6)
    assert context.take_record_lines(events[0].origin.line) == (1, 0)


@pytest.mark.parametrize(
    "text",
    [PYTHON_TRACEBACK, GO_PANIC],
    ids=["python", "go"],
)
def test_stack_trace_is_one_error_of_a_run(parse_text: ParseText, text: str) -> None:
    events, _ = parse_text("tooloutput", text)
    for index, event in enumerate(events):
        event.transaction_id = "run-1"
        event.timestamp = 1796979600.0 + index

    transactions = align(events).transactions
    detect(transactions)

    errors = [event for event in events if event.is_error]
    assert len(errors) == 1
    assert transactions[0].first_error is errors[0]
    assert transactions[0].symptoms == []
