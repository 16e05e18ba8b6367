"""Shared fixtures: the knowledge base, the incident fixtures and a generated corpus."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from rca.kb import KnowledgeBase, load_knowledge_base
from rca.model import Investigation
from rca.report.render import render

REPO = Path(__file__).resolve().parents[2]
INCIDENTS = REPO / "fixtures" / "incidents"
BENCH_DIR = REPO / "bench"


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load_knowledge_base()


def incident_folders() -> list[Path]:
    return sorted(path for path in INCIDENTS.iterdir() if path.is_dir())


def report_document(investigation: Investigation, kb: KnowledgeBase) -> dict[str, Any]:
    """Render the JSON report and drop the generation time."""
    document: dict[str, Any] = json.loads(render(investigation, kb, format="json", lang="en"))
    document.pop("generated_at")
    return document


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """A 1.5 MB corpus of 6 nodes with many failures, rotated and compressed logs.

    Made with the benchmark's generator, which returns the manifest: every failed
    run with its expected cause.
    """
    if not (BENCH_DIR / "generate.py").is_file():
        pytest.skip("bench/generate.py is not in this checkout")
    if str(BENCH_DIR) not in sys.path:
        sys.path.insert(0, str(BENCH_DIR))
    import generate
    from corpus_plan import CorpusOptions

    options = CorpusOptions(size_bytes=1_500_000, nodes=6, runs_per_node=20, error_rate=0.3,
                            rotate=True, compress=True, multi_node_share=0.3,
                            noise_rate=0.05, seed=11)
    root = tmp_path_factory.mktemp("corpus") / "incident"
    manifest: dict[str, Any] = generate.generate(options, root, jobs=1)
    return root, manifest


@pytest.fixture(scope="session")
def generated_corpus(generated: tuple[Path, dict[str, Any]]) -> Path:
    return generated[0]
