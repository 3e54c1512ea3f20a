"""The interfaces layer: what people and programs use to drive marketjobs (the ``marketjobs`` CLI).

It is the top layer: it may import every other package, and nothing imports it (``make lint`` checks this
with import-linter; see ``docs/architecture.md``).
"""
