"""The worker supervisor: pools of ``dramatiq`` worker processes that scale with queue latency.

``marketjobs supervisor`` (and ``marketjobs up``) runs one :class:`~supervisor.runner.Supervisor`: each pool
of the settings (``pools:``) gets between ``min`` and ``max`` worker processes, each its own ``dramatiq``
process so one crash never stops the others. It sits beside :mod:`scheduler` and :mod:`monitoring` in the
layers: it reads the broker and the worker registry, and starts processes; nothing below imports it.
"""
