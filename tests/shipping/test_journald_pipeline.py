"""Run ingest-pipeline-journald.json on documents shaped like Filebeat's journald input output."""

from __future__ import annotations

from typing import Any

from conftest import load_json
from ingest_simulator import run_pipeline

PIPELINE = load_json("ingest-pipeline-journald.json")


def journald_document(custom: dict[str, str]) -> dict[str, Any]:
    return {
        "message": "run failed",
        "journald": {"custom": custom},
        "log": {"syslog": {"priority": 3}},
    }


def test_transaction_id_copied_from_custom_field() -> None:
    document = run_pipeline(
        PIPELINE,
        journald_document({"transaction_id": "run-0106", "fleet_step": "finish"}),
        skip=("script",),
    )

    assert document["transaction"]["id"] == "run-0106"
    assert document["installer"]["step"] == "finish"
    assert document["event"]["dataset"] == "rca.journald"


def test_entry_without_custom_fields_keeps_none() -> None:
    document = run_pipeline(PIPELINE, journald_document({}), skip=("script",))

    assert "transaction" not in document
    assert "installer" not in document


def test_level_script_maps_every_priority() -> None:
    (script,) = [item["script"] for item in PIPELINE["processors"] if "script" in item]

    for name in ("'critical'", "'error'", "'warn'", "'notice'", "'info'", "'debug'"):
        assert name in script["source"]
    assert script["source"].count("'critical'") == 3
