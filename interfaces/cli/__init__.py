"""The ``marketjobs`` command line."""

from __future__ import annotations

from interfaces.cli.main import app, main

__all__ = ["app", "main"]
