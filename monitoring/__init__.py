"""Prometheus metrics of marketjobs: the store- and broker-level exporter (``marketjobs exporter``).

Worker-level metrics, alert rules and dashboards are to come.
"""
