r"""Mine log templates with Drain3 over the lines of some files and print the cost as JSON.

Run by `bench/run.py` in a child process so that its time and memory are
measured like any other command::

    python bench/drain_child.py --max-lines 200000 node-01/installer.log.2.gz \
        node-01/installer.log.1 node-01/installer.log ...

Files are read in the order given, gzip files decompressed, and at most
`--max-lines` lines are mined with `TemplateMiner()` and its default
configuration (run from a folder without a ``drain3.ini``). Only the mining
calls are timed, in batches of 10,000 lines read ahead, so interpreter start,
imports and file reading do not count against Drain3.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from collections.abc import Iterator, Sequence
from importlib.metadata import version
from pathlib import Path

BATCH = 10_000


def read_lines(paths: Sequence[Path], limit: int) -> Iterator[list[str]]:
    """Yield batches of decoded lines from `paths`, `limit` lines in all (0: no limit)."""
    batch: list[str] = []
    count = 0
    for path in paths:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as handle:
            for raw in handle:
                batch.append(raw.rstrip(b"\n").decode("utf-8", errors="replace"))
                count += 1
                if len(batch) == BATCH:
                    yield batch
                    batch = []
                if limit and count >= limit:
                    if batch:
                        yield batch
                    return
    if batch:
        yield batch


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--max-lines", type=int, default=0,
                        help="stop after this many lines (default 0: all)")
    args = parser.parse_args(argv)

    from drain3 import TemplateMiner

    miner = TemplateMiner()
    mined = 0
    seconds = 0.0
    for batch in read_lines(args.paths, args.max_lines):
        started = time.perf_counter()
        for line in batch:
            miner.add_log_message(line)
        seconds += time.perf_counter() - started
        mined += len(batch)
    json.dump({"lines": mined, "mining_seconds": seconds,
               "clusters": len(miner.drain.clusters), "drain3_version": version("drain3")},
              sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
