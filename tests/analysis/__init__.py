"""Tests of the pure Polars analysis layer (portfolio maths, risk metrics, signal events)."""
