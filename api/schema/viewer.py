"""Query.me: who the API thinks you are."""

from __future__ import annotations

import strawberry

from api.schema.child import Practitioner
from api.schema.enums import Role


@strawberry.type(description="The authenticated caller, as their token describes them.")
class Viewer:
    subject: str
    roles: list[Role]
    practitioner: Practitioner | None = strawberry.field(
        description="The practitioner record the token is linked to, if any."
    )
    local_authority: str | None
