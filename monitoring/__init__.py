"""Prometheus metrics and health of marketjobs: the store- and broker-level exporter (``marketjobs
exporter``), worker and domain metrics written inside jobs, and the health checks; the alert rules and
Grafana dashboards that read them live in ``monitoring/prometheus/`` and ``grafana/``.
"""
