"""Investigate large incident folders in two phases, scanning first and parsing later.

`investigate_streaming` takes the arguments of `rca.pipeline.investigate` and
returns the same `Investigation` for every failed run, while parsing only the
lines that can matter: phase 1 scans every file at close to the speed of
``grep`` and keeps the own records of each run, phase 2 parses the windows of
the failed runs. docs/streaming.md describes the design and its limits.
"""

from rca.streaming.investigate import StreamingReport, investigate_streaming

__all__ = ["StreamingReport", "investigate_streaming"]
