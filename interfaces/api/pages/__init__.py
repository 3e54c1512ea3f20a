"""The operator page: server-rendered HTML (Jinja2) for people, beside the JSON API for scripts.

One module per page group. Pages read through the same functions the API routes call; every button posts to
the JSON API itself (with the login cookie), so a page action and a script's call are one code path. Templates
and static assets (vendored htmx, a stylesheet, a small script) ship inside the package: no CDN, no Node.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.staticfiles import StaticFiles

from interfaces.api.pages import (
    dead_letters,
    job_detail,
    jobs,
    login,
    overview,
    queues,
    schedules,
    workers,
)

__all__ = ["router", "static_files"]

router = APIRouter(include_in_schema=False)
for _module in (login, overview, jobs, job_detail, dead_letters, queues, schedules, workers):
    router.include_router(_module.router)


def static_files() -> StaticFiles:
    """The page's assets (``interfaces/api/static``), found through the installed package."""
    return StaticFiles(packages=[("interfaces.api", "static")])
