"""Generate a realistic multi-node incident of a chosen size for benchmarks.

Usage::

    python bench/generate.py OUT_DIR --size 100MB --nodes 50 --error-rate 0.05 \\
        --audit-share 0.3 --journal-share 0.2 --rotate --compress --seed 1

OUT_DIR gets one folder per node (``node-01``...) with ``installer.log``,
``audit.log`` and ``journal.json``, rotated and gzip-compressed on request, and
a ``.manifest.json`` with the arguments, every file's size and line count, and
the expected cause and first error of every failed run. The same arguments
always give the same bytes: all randomness comes from `random.Random` objects
seeded from `--seed`, and each node is written from its own seed, so the
number of worker processes does not change the output.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import shutil
import sys
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
if str(BENCH_DIR) not in sys.path:
    # Run as a script, the sibling modules are importable already; imported from
    # the tests they are not.
    sys.path.insert(0, str(BENCH_DIR))

from corpus_node import NodeResult, write_node  # noqa: E402
from corpus_plan import CorpusOptions, CorpusPlan, build_plan, parse_size  # noqa: E402

log = logging.getLogger("bench.generate")

MANIFEST = ".manifest.json"
TIMING = ".generation.json"
"""Generation time, kept apart so the manifest is the same bytes on every run.

The leading dot also keeps rca's folder walker from reading it as a log."""
MANIFEST_FORMAT = 1
GENERATOR_NAME = "rca-bench-corpus"
GENERATOR_SOURCES = ("generate.py", "corpus_audit.py", "corpus_catalog.py", "corpus_files.py",
                     "corpus_installer.py", "corpus_journal.py", "corpus_node.py",
                     "corpus_plan.py", "corpus_streams.py")


def generator_digest() -> str:
    """Hash the generator's source files, so a corpus made by older code can be recognized."""
    digest = hashlib.sha256()
    for name in GENERATOR_SOURCES:
        digest.update(name.encode())
        digest.update((BENCH_DIR / name).read_bytes())
    return digest.hexdigest()[:16]


_PLAN: CorpusPlan | None = None


def _init_worker(plan: CorpusPlan) -> None:
    global _PLAN
    _PLAN = plan


def _write_node_job(index: int, out_dir: str) -> NodeResult:
    if _PLAN is None:
        raise RuntimeError("worker process started without a corpus plan")
    return write_node(_PLAN, index, Path(out_dir))


def generate(options: CorpusOptions, out_dir: Path, *, jobs: int = 1) -> dict[str, Any]:
    """Write the corpus described by `options` into `out_dir` and return its manifest.

    `out_dir` must be empty or absent. The manifest is written last, so a
    folder without one is an incomplete corpus.
    """
    plan = build_plan(options)
    out_dir.mkdir(parents=True, exist_ok=True)
    if any(out_dir.iterdir()):
        raise FileExistsError(f"{out_dir} is not empty; give a new folder, or --force to "
                              "replace a corpus written earlier")
    started = time.perf_counter()
    indexes = range(len(plan.nodes))
    if jobs <= 1 or len(plan.nodes) == 1:
        results = [write_node(plan, index, out_dir) for index in indexes]
    else:
        with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker,
                                 initargs=(plan,)) as pool:
            results = list(pool.map(_write_node_job, indexes, [str(out_dir)] * len(indexes)))
    manifest = build_manifest(plan, results)
    elapsed = time.perf_counter() - started
    (out_dir / TIMING).write_text(json.dumps({"generation_seconds": round(elapsed, 2),
                                              "jobs": jobs}) + "\n", encoding="utf-8")
    temporary = out_dir / f".{MANIFEST}.tmp"
    temporary.write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    os.replace(temporary, out_dir / MANIFEST)
    return manifest


def generation_seconds(out_dir: Path) -> float | None:
    """Return how long the corpus in `out_dir` took to generate, if that was recorded."""
    try:
        return float(json.loads((out_dir / TIMING).read_text(encoding="utf-8"))
                     ["generation_seconds"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def build_manifest(plan: CorpusPlan, results: Sequence[NodeResult]) -> dict[str, Any]:
    """Describe the corpus: arguments, files, and the ground truth of every failed run."""
    first_errors = {}
    for result in results:
        first_errors.update(result.first_errors)
    files = [record for result in results for record in result.files]
    failed = []
    for run in plan.runs:
        if not run.failed:
            continue
        first = first_errors.get(run.txn)
        if first is None:
            raise RuntimeError(f"failed run {run.txn} wrote no first error")
        nodes = [plan.nodes[run.origin].name]
        if run.multi_node:
            nodes.append(plan.nodes[run.worker].name)
        failed.append({"txn": run.txn, "node": nodes[0], "nodes": nodes, "kind": run.kind,
                       "cause": run.cause, "first_error": first.as_json()})
    by_kind: Counter[str] = Counter()
    lines_by_kind: Counter[str] = Counter()
    for record in files:
        by_kind[record.kind] += record.bytes
        lines_by_kind[record.kind] += record.lines
    return {
        "generator": GENERATOR_NAME,
        "format": MANIFEST_FORMAT,
        "generator_digest": generator_digest(),
        "arguments": plan.options.as_json(),
        "seed": plan.options.seed,
        "runs_per_node": plan.slots,
        "runs": len(plan.runs),
        "multi_node_runs": sum(1 for run in plan.runs if run.multi_node),
        "failed_runs": len(failed),
        "causes": dict(sorted(Counter(str(entry["cause"]) for entry in failed).items())),
        "bytes": sum(record.bytes for record in files),
        "bytes_on_disk": sum(record.disk_bytes for record in files),
        "lines": sum(record.lines for record in files),
        "bytes_by_kind": dict(sorted(by_kind.items())),
        "lines_by_kind": dict(sorted(lines_by_kind.items())),
        "nodes": [node.as_json() for node in plan.nodes],
        "files": [record.as_json() for record in files],
        "failed": failed,
    }


def options_from_args(args: argparse.Namespace) -> CorpusOptions:
    return CorpusOptions(
        size_bytes=parse_size(args.size),
        nodes=args.nodes,
        runs_per_node=args.runs_per_node,
        error_rate=args.error_rate,
        audit_share=args.audit_share,
        journal_share=args.journal_share,
        rotate=args.rotate,
        compress=args.compress,
        seed=args.seed,
        multi_node_share=args.multi_node_share,
        max_clock_offset=args.max_clock_offset,
        start=args.start,
        noise_rate=args.noise_rate,
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Generate a seeded multi-node incident (installer, audit and journal "
                    "logs) for the rca benchmarks.")
    parser.add_argument("out_dir", metavar="OUT_DIR", type=Path,
                        help="folder to create; it must be empty or absent")

    # What the corpus contains.
    parser.add_argument("--size", default="100MB",
                        help="total uncompressed size: 500kB, 100MB, 1GB (decimal) or "
                             "1GiB (binary); default 100MB")
    parser.add_argument("--nodes", type=int, default=50, help="number of nodes (default 50)")
    parser.add_argument("--runs-per-node", type=int, default=None, metavar="N",
                        help="install-run slots per node (default: one run per 24 kB of "
                             "installer log)")
    parser.add_argument("--error-rate", type=float, default=0.05,
                        help="share of runs that fail, 0 to 1 (default 0.05)")
    parser.add_argument("--audit-share", type=float, default=0.3,
                        help="share of the size in audit.log (default 0.3)")
    parser.add_argument("--journal-share", type=float, default=0.2,
                        help="share of the size in journal.json (default 0.2)")

    # How the files are laid out and how the runs are spread.
    parser.add_argument("--rotate", action="store_true",
                        help="split installer.log and audit.log into NAME.1 and NAME")
    parser.add_argument("--compress", action="store_true",
                        help="also keep an older generation as NAME.2.gz (implies --rotate)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--multi-node-share", type=float, default=0.1,
                        help="share of nodes per slot in runs built on another node "
                             "(default 0.1)")
    parser.add_argument("--max-clock-offset", type=float, default=1.5, metavar="SECONDS",
                        help="largest clock offset of a node, 0 to 2.5 s (default 1.5)")
    parser.add_argument("--noise-rate", type=float, default=0.01,
                        help="share of background audit and journal events that are "
                             "unrelated errors, placed away from every run (default 0.01)")
    parser.add_argument("--start", default="2026-12-03T00:00:00Z",
                        help="time of the first slot, ISO-8601 (default 2026-12-03T00:00:00Z)")

    # How the generator runs.
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="worker processes (default: all cores); the output does not "
                             "depend on it")
    parser.add_argument("--force", action="store_true",
                        help="replace OUT_DIR if it contains a corpus written earlier")
    parser.add_argument("-v", "--verbose", action="store_true", help="log each node")
    return parser


def remove_corpus(out_dir: Path) -> None:
    """Delete a folder, but only if its manifest (or a partial run) shows this generator made it."""
    manifest = out_dir / MANIFEST
    if manifest.is_file():
        try:
            owner = json.loads(manifest.read_text(encoding="utf-8")).get("generator")
        except (OSError, json.JSONDecodeError) as error:
            raise FileExistsError(f"{manifest} is unreadable ({error}); remove {out_dir} "
                                  "by hand") from error
        if owner != GENERATOR_NAME:
            raise FileExistsError(f"{out_dir} was not written by this generator; remove it "
                                  "by hand")
    elif any(not child.name.startswith(("node-", ".")) for child in out_dir.iterdir()):
        raise FileExistsError(f"{out_dir} contains files this generator did not write; "
                              "remove it by hand")
    shutil.rmtree(out_dir)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="generate: %(message)s", stream=sys.stderr)
    try:
        options = options_from_args(args)
        options.validate()
        if args.force and args.out_dir.exists():
            remove_corpus(args.out_dir)
        manifest = generate(options, args.out_dir, jobs=args.jobs)
    except (ValueError, FileExistsError) as error:
        print(f"generate: error: {error}", file=sys.stderr)
        return 1
    log.info("wrote %s: %d files, %.1f MB (%.1f MB on disk), %d lines, %d runs, %d failed, "
             "in %.1f s", args.out_dir, len(manifest["files"]), manifest["bytes"] / 1e6,
             manifest["bytes_on_disk"] / 1e6, manifest["lines"], manifest["runs"],
             manifest["failed_runs"], generation_seconds(args.out_dir) or 0.0)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
