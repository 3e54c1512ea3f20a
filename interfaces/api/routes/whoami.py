"""``/api/whoami``: whose token this is and whether it may act (the page hides buttons from viewers)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from interfaces.api.auth import Viewer

__all__ = ["Whoami", "router"]

router = APIRouter(prefix="/api", tags=["auth"])


class Whoami(BaseModel):
    """The holder of the token."""

    name: str
    role: str = Field(description="viewer or operator")
    can_act: bool = Field(description="true for operators")


@router.get("/whoami", response_model=Whoami, summary="Who holds this token")
def whoami(principal: Viewer) -> Whoami:
    """The token's name and role."""
    return Whoami(name=principal.name, role=principal.role, can_act=principal.can_act)
