"""rca: a root-cause analyzer for failed install runs across a fleet of Linux nodes."""

__version__ = "0.1.0"
