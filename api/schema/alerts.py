"""Access alerts for index teams: `accessAlerts` and `resolveAccessAlert` (R4, R14).

When someone's use of the index brings a protective rule into play (R4's household
rule first: a write that puts a child at a shielded child's address), the index team of
the local authority that must act is alerted. An alert stays OPEN until that team, or
an auditor, records what was done about it. Instances are built by
api/resolvers/alerts.py after policies/alerts.py has decided.

Lists are cursor-paginated the Relay way: ask for `edges { cursor node { ... } }` (or
`nodes` when you need no cursor per item) and `pageInfo { hasNextPage endCursor }`,
then pass `endCursor` as `after` for the next page.
"""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.schema.enums import AccessAlertKind, AccessAlertState


@strawberry.type(
    description=(
        "Something an index team must look at: a use of the index that brought a protective "
        "rule into play. Shown only to INDEX_ADMIN of its local authority and to AUDITOR."
    )
)
class AccessAlert:
    id: strawberry.ID
    kind: AccessAlertKind
    state: AccessAlertState
    raised_at: datetime = strawberry.field(description="When the alert was raised.")
    local_authority: str | None = strawberry.field(
        description="The local authority whose index team the alert is for."
    )
    subject: str = strawberry.field(
        description=(
            "Who made the request that raised it: the token's subject (for a feed, the feed's "
            "subject; for the command line, cli:<user>)."
        )
    )
    role: str = strawberry.field(
        description="The role they acted in (a Role name, e.g. FEED or PRACTITIONER)."
    )
    child_ids: list[strawberry.ID] = strawberry.field(
        description=(
            "The children the alert is about. Open each with `child` (as INDEX_ADMIN of its "
            "own local authority you see a shielded child's whole record)."
        )
    )
    detail: str = strawberry.field(
        description=(
            "What happened, for a person: the operation, the source's record reference, the "
            "source and the request id (to find the request's event in the audit trail)."
        )
    )
    resolved_at: datetime | None = strawberry.field(description="Null while OPEN.")
    resolved_by: str | None = strawberry.field(
        description="The subject who resolved it. Null while OPEN."
    )
    outcome: str | None = strawberry.field(
        description="What was done about it, as recorded by resolveAccessAlert. Null while OPEN."
    )


@strawberry.type(description="One alert in a page, with the cursor that points just after it.")
class AccessAlertEdge:
    cursor: str = strawberry.field(
        description="Opaque: pass it as `after` to continue after this alert."
    )
    node: AccessAlert


@strawberry.type(description="Where a page of a paginated list ends.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="True when another page follows.")
    end_cursor: str | None = strawberry.field(
        description="The last item's cursor: pass it as `after`. Null for an empty page."
    )


@strawberry.type(
    description=(
        "A page of access alerts, newest first. Use `edges` when you need each item's "
        "cursor, or `nodes` for the alerts alone; both hold the same alerts in the same order."
    )
)
class AccessAlertConnection:
    edges: list[AccessAlertEdge]
    nodes: list[AccessAlert]
    page_info: PageInfo
