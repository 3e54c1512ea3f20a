"""The declarative base every table of the store derives from (one metadata for Alembic)."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

__all__ = ["Base"]


class Base(DeclarativeBase):
    """Declarative base of every marketjobs table."""
