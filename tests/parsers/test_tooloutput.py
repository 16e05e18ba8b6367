"""Plain tool output: one event per line, levels from words, CI gutters."""

from __future__ import annotations

import pytest
from parser_helpers import ParseText, shared_file

from rca.model import Level, SourceKind

APT_OUTPUT = """\
admin@node-01:~/download$ sudo apt-get install golang-1.10-go
Reading package lists... Done

E: Unable to locate package golang-1.10-go
W: Some index files failed to download. They have been ignored.
"""


def test_each_line_is_an_event(parse_text: ParseText) -> None:
    events, stats = parse_text("tooloutput", APT_OUTPUT, default_node="node-01")

    assert [event.origin.line for event in events] == [1, 2, 4, 5]
    assert [event.sequence for event in events] == [1, 2, 4, 5]
    assert all(event.timestamp is None for event in events)
    assert all(event.kind == SourceKind.TOOL_OUTPUT for event in events)
    assert all(event.node == "node-01" for event in events)
    assert stats.parsed == 5


def test_levels_from_content(parse_text: ParseText) -> None:
    events, _ = parse_text("tooloutput", APT_OUTPUT)

    assert [event.level for event in events] == [Level.INFO, Level.INFO, Level.ERROR,
                                                 Level.WARNING]


@pytest.mark.parametrize(
    ("line", "message", "gutter"),
    [
        ("       > go: github.com/golang/protobuf@v1.5.0: Get \"https://proxy.golang.org\"",
         'go: github.com/golang/protobuf@v1.5.0: Get "https://proxy.golang.org"',
         "       > "),
        ("#12 3.456 go: downloading golang.org/x/text v0.3.3",
         "go: downloading golang.org/x/text v0.3.3", "#12 3.456 "),
        ("Step 23/32 : RUN cd zdns/zdns && go build .", "RUN cd zdns/zdns && go build .",
         "Step 23/32 : "),
    ],
    ids=["nix", "buildkit", "docker-step"],
)
def test_gutter_cut_from_message(parse_text: ParseText, line: str, message: str,
                                 gutter: str) -> None:
    (event,), _ = parse_text("tooloutput", line)

    assert event.message == message
    assert event.fields["gutter"] == gutter
    assert event.raw == line


def test_docker_step_number(parse_text: ParseText) -> None:
    (event,), _ = parse_text("tooloutput", "Step 23/32 : RUN go build .")

    assert event.fields["step"] == "23/32"


def test_systemctl_status_exit_code(parse_text: ParseText) -> None:
    (event,), _ = parse_text("tooloutput", " Main PID: 4161 (code=exited, status=203/EXEC)")

    assert event.fields["exit_code"] == 203
    assert event.level == Level.ERROR


def test_go_checksum_case(parse_text: ParseText) -> None:
    path = shared_file("..", "cases", "go.checksum_mismatch", "tern-go-install-sumdb-mismatch.log")
    events, stats = parse_text("tooloutput", path.read_text())
    errors = [event.message for event in events if event.level >= Level.ERROR]

    assert stats.unparsed == 0
    assert errors == ["SECURITY ERROR"]
