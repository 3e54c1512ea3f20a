"""The HTTP API and the operator page (FastAPI), served by ``marketjobs api``.

Every route but ``/healthz`` and ``/readyz`` needs a bearer token from the settings (``api_tokens``, kept as
SHA-256 hashes): role ``viewer`` reads, role ``operator`` also acts. The page's actions are plain HTTP
requests to the same API. Secrets in job parameters, errors and URLs are redacted before they are served.
"""
