"""The ingest-pipeline simulator, now in `rca.testing.ingest`; kept so the tests here import it."""

from __future__ import annotations

from rca.testing.ingest import (
    Document,
    PipelineFailure,
    Unsupported,
    condition_holds,
    get_field,
    parse_date,
    remove_field,
    run_pipeline,
    set_field,
)

__all__ = [
    "Document",
    "PipelineFailure",
    "Unsupported",
    "condition_holds",
    "get_field",
    "parse_date",
    "remove_field",
    "run_pipeline",
    "set_field",
]
