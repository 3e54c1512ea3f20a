"""Services: the orchestration of a job's work over the store (technical, portfolio and alerts runs).

Between the core (store, market data, pure analysis, notify) and the actors: an actor validates its
parameters, calls one service and records the outcome; a service reads bars and rules from the store, calls
the pure analysis and writes what it found back.
"""
