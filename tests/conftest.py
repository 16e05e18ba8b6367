"""Hypothesis profiles: ``RCA_HYPOTHESIS_PROFILE=fuzz`` runs the property tests much longer."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "fuzz",
    max_examples=20_000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("RCA_HYPOTHESIS_PROFILE", "default"))
