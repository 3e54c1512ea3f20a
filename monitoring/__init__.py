"""Prometheus exporters, health checks and alert rules (not built yet)."""
