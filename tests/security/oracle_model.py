"""What each viewer may see of the oracle scenario, written from policy.md alone.

This module is the test's model of the rules. It never imports `policies/` or `api/`:
it restates R2, R4 to R7, R9, R12 and R14 over the facts of the scenario (Hannah's
story from `seed.hannah` plus what `test_oracle.py`'s fixture adds through the API),
so that the product's answers can be judged against an independent statement of the
policy. Read it top to bottom:

1. `VIEWERS`: the table of viewers, and the one fact about each that matters.
2. `World`: the facts of the scenario (who is shielded, which involvement is at which
   service, who holds which CAF, which consent records name the clinic).
3. `Model`: the rules, one method each, citing the rule they restate.
4. `Model.secrets`: the strings a viewer must never receive, anywhere in a response
   (data, errors, link ids, audit entries), because a rule withholds what they say.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from seed import hannah

__all__ = [
    "CHILD_LIKE_R4_FIELDS",
    "CLINIC",
    "VIEWERS",
    "Model",
    "Secret",
    "ViewerSpec",
    "World",
]

PRACTITIONER = "PRACTITIONER"
SAFEGUARDING_LEAD = "SAFEGUARDING_LEAD"
INDEX_ADMIN = "INDEX_ADMIN"
AUDITOR = "AUDITOR"
ANALYST = "ANALYST"
FEED = "FEED"

CLINIC = "s-nbr-sexual-health"
CAMHS = "s-nbr-camhs"
SENSITIVE_KINDS = frozenset({"MENTAL_HEALTH", "SEXUAL_HEALTH", "SUBSTANCE_MISUSE"})

# R4: all that a shielded child shows (to anyone but the exceptions R4 and R9 name).
# MatchCandidate (the index team's review queue) also says whether the record is
# archived and whether the incoming NHS number is the candidate's: neither says where
# the child is, so the model allows them there.
CHILD_LIKE_R4_FIELDS = frozenset(
    {
        "id",
        "givenName",
        "familyName",
        "dateOfBirth",
        "gender",
        "shielded",
        "shieldingContact",
        "hasCommonAssessment",
        "archived",
        "sameNhsNumber",
    }
)


# --- 1. The viewers ------------------------------------------------------------------------


@dataclass(frozen=True)
class ViewerSpec:
    """One caller. `consent_paths` and `overrides` are what the fixture sets up for them."""

    name: str
    role: str
    practitioner: str | None
    local_authority: str | None
    why: str
    #: (child, sensitive service) pairs with a consent path that counts under R6(b).
    consent_paths: frozenset[tuple[str, str]] = frozenset()
    #: Children this viewer recorded an access override for, minutes ago (R9).
    overrides: frozenset[str] = frozenset()
    subject: str | None = None
    source: str | None = None


VIEWERS: tuple[ViewerSpec, ...] = (
    ViewerSpec(
        "melanie", PRACTITIONER, "p-melanie", "NBR",
        "Hannah's learning mentor; recorded a SHARE_CONTACT_DETAILS consent covering the "
        "clinic for herself, which must not count (R6b, finding 4)",
    ),
    ViewerSpec(
        "lee", PRACTITIONER, "p-lee", "NBR",
        "Hannah's youth worker; Hannah's consent to share the clinic with him, recorded by "
        "the clinic's nurse, counts (R6b)",
        consent_paths=frozenset({("c-hannah", CLINIC)}),
    ),
    ViewerSpec(
        "steve", PRACTITIONER, "p-steve", "NBR",
        "housing officer; the clinic consent to him was withdrawn (R10)",
    ),
    ViewerSpec(
        "libby", PRACTITIONER, "p-libby", "NBR",
        "young carers worker; the clinic consent to her expired yesterday (R10)",
    ),
    ViewerSpec(
        "john", PRACTITIONER, "p-john", "NBR",
        "social worker; Karen's clinic consent to him is outweighed by Hannah's own refusal "
        "(competent child, R10)",
    ),
    ViewerSpec(
        "eastvale", PRACTITIONER, "p-eastvale", "EVL",
        "Sam's teacher, lead professional and CAF holder: Sam is still shielded from him (R4)",
    ),
    ViewerSpec(
        "camhs", PRACTITIONER, "p-camhs", "NBR",
        "not involved with Hannah or Sam; works for another sensitive service",
    ),
    ViewerSpec(
        "nurse", PRACTITIONER, "p-nurse", "NBR",
        "the clinic's own nurse (R6a) and holder of Hannah's CAF",
    ),
    ViewerSpec(
        "lead", SAFEGUARDING_LEAD, "p-gp", "NBR", "a safeguarding lead without an override",
    ),
    ViewerSpec(
        "lead_override", SAFEGUARDING_LEAD, "p-old-sw", "NBR",
        "a safeguarding lead in the first hour of her own overrides for Sam and Hannah (R9)",
        overrides=frozenset({"c-sam", "c-hannah"}),
    ),
    ViewerSpec(
        "index_nbr", INDEX_ADMIN, None, "NBR", "index team of Sam's own local authority",
        subject="oracle-index-nbr",
    ),
    ViewerSpec(
        "index_evl", INDEX_ADMIN, None, "EVL", "index team of another local authority",
        subject="oracle-index-evl",
    ),
    ViewerSpec("auditor", AUDITOR, None, None, "auditor", subject="oracle-auditor"),
    ViewerSpec("analyst", ANALYST, None, None, "analyst", subject="oracle-analyst"),
    ViewerSpec(
        "feed", FEED, None, None, "a feed", subject="oracle-feed", source="oracle-feed"
    ),
)  # fmt: skip


# --- 2. The facts of the scenario ------------------------------------------------------------


@dataclass(frozen=True)
class Secret:
    """A string a rule withholds; `rule` says which, `what` says what it is.

    `about` is None for what is secret wherever it appears (an address, an involvement's
    id). A service's or a practitioner's name is secret only in answers about the child
    it would tell something about (`about`): the clinic in a service directory says
    nothing about Hannah; the clinic on Hannah's record, in her network or in her audit
    trail does.
    """

    value: str
    what: str
    rule: str
    about: str | None = None


@dataclass(frozen=True)
class InvolvementFact:
    id: str
    child: str
    service: str
    practitioner: str | None
    ended: date | None


@dataclass(frozen=True)
class CafFact:
    id: str
    child: str
    holder: str


@dataclass
class World:
    """Hannah's story as of `today`, plus the ids the fixture's API calls returned."""

    today: date
    story: hannah.Scenario
    cafs: dict[str, CafFact] = field(default_factory=dict)
    #: Ids of consent records that name the clinic (grants, the refusal, the attack).
    clinic_consents: frozenset[str] = frozenset()
    #: The address a feed sent for a record held for review against Sam (R15).
    review_address: tuple[str, str] = ("9 Heron Court", "EV3 1QQ")
    lead_professionals: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, today: date) -> World:
        return cls(today=today, story=hannah.scenario(today))

    # plain look-ups over the seed records
    def child(self, id: str) -> dict[str, Any]:
        return next(c for c in self.story.children if c["id"] == id)

    def service(self, id: str) -> dict[str, Any]:
        return next(s for s in self.story.services if s["id"] == id)

    def practitioner(self, id: str) -> dict[str, Any]:
        return next(p for p in self.story.practitioners if p["id"] == id)

    def carer(self, id: str) -> dict[str, Any]:
        return next(k for k in self.story.carers if k["id"] == id)

    def is_child(self, id: str) -> bool:
        return any(c["id"] == id for c in self.story.children)

    def shielded(self, child: str) -> bool:
        return self.is_child(child) and bool(self.child(child)["shielded"])

    def local_authority(self, child: str) -> str:
        return str(self.child(child)["localAuthority"])

    def sensitive(self, service: str) -> bool:
        return self.service(service)["kind"] in SENSITIVE_KINDS

    def involvements(self, child: str | None = None) -> list[InvolvementFact]:
        return [
            InvolvementFact(
                i["id"], i["childId"], i["serviceId"], i["practitionerId"], i["endedOn"]
            )
            for i in self.story.involvements
            if child is None or i["childId"] == child
        ]

    def carers_of(self, child: str) -> set[str]:
        return {r["carerId"] for r in self.story.cares_for if r["childId"] == child}

    def cafs_of(self, child: str) -> list[CafFact]:
        return [c for c in self.cafs.values() if c.child == child]


# --- 3. The rules ------------------------------------------------------------------------------


class Model:
    """policy.md, restated over the World. Every method names the rule it restates."""

    def __init__(self, world: World) -> None:
        self.world = world

    # R2, R11, R15: who reads children at all.
    def reads_children(self, v: ViewerSpec) -> bool:
        return v.role in {PRACTITIONER, SAFEGUARDING_LEAD, INDEX_ADMIN}

    # R12: only a safeguarding lead traces a network.
    def traces(self, v: ViewerSpec) -> bool:
        return v.role == SAFEGUARDING_LEAD

    # R14: AUDITOR reads any child's trail; INDEX_ADMIN only their own local authority's.
    def reads_trail(self, v: ViewerSpec, child: str | None) -> bool:
        """`child` None: a subject's trail across the index, an auditor's alone."""
        if v.role == AUDITOR:
            return True
        if child is None:
            return False
        return (
            v.role == INDEX_ADMIN
            and self.world.is_child(child)
            and v.local_authority == self.world.local_authority(child)
        )

    # R4 + R9: whose whereabouts this viewer sees. Unshielded children: everyone allowed R2.
    # A shielded child: the index team of the child's own local authority, or a
    # safeguarding lead in the first hour of their own override (the fixture's overrides
    # are minutes old).
    def sees_whereabouts(self, v: ViewerSpec, child: str) -> bool:
        if not self.world.shielded(child):
            return True
        if v.role == INDEX_ADMIN and v.local_authority == self.world.local_authority(child):
            return True
        return v.role == SAFEGUARDING_LEAD and child in v.overrides

    # R6: a sensitive service's involvement with this child is open to (a) its own
    # practitioners, (b) a consent path, (c) the viewer's own unexpired override.
    def sees_service(self, v: ViewerSpec, child: str, service: str) -> bool:
        if not self.world.sensitive(service):
            return True
        if v.practitioner and self.world.practitioner(v.practitioner)["serviceId"] == service:
            return True
        return (child, service) in v.consent_paths or child in v.overrides

    # R5: active, or ended no more than 365 days ago.
    def within_window(self, inv: InvolvementFact) -> bool:
        return inv.ended is None or inv.ended >= self.world.today - timedelta(days=365)

    # R4, R5, R6: the involvements shown on the child's record.
    def involvements(self, v: ViewerSpec, child: str) -> set[str]:
        if not self.sees_whereabouts(v, child):
            return set()
        return {
            i.id
            for i in self.world.involvements(child)
            if self.within_window(i) and self.sees_service(v, child, i.service)
        }

    def holder_service(self, caf: CafFact) -> str:
        return str(self.world.practitioner(caf.holder)["serviceId"])

    # R7: a CAF whose holder's sensitive service R6 hides is not there at all: this is
    # what hasCommonAssessment counts (R4 lets a shielded child show it too).
    def counted_cafs(self, v: ViewerSpec, child: str) -> set[str]:
        return {
            c.id
            for c in self.world.cafs_of(child)
            if self.sees_service(v, child, self.holder_service(c))
        }

    # R4 + R7: the CAF summaries (with their holders) on the record.
    def summaries(self, v: ViewerSpec, child: str) -> set[str]:
        return self.counted_cafs(v, child) if self.sees_whereabouts(v, child) else set()

    # R7 + R9 + R4: the CAF itself: its holder (or a team member with a SHARE_ASSESSMENT
    # grant; none in this scenario) or under an override; never past the shield.
    def readable_cafs(self, v: ViewerSpec, child: str) -> set[str]:
        if not self.sees_whereabouts(v, child) or v.role not in {
            PRACTITIONER,
            SAFEGUARDING_LEAD,
        }:
            return set()
        return {
            c
            for c in self.summaries(v, child)
            if self.world.cafs[c].holder == v.practitioner or child in v.overrides
        }

    # R4: carers (and so their contact) only with the whereabouts.
    def carers(self, v: ViewerSpec, child: str) -> set[str]:
        return self.world.carers_of(child) if self.sees_whereabouts(v, child) else set()

    # R4 (and R6 for the lead's own service): the lead professional.
    def lead_professional(self, v: ViewerSpec, child: str) -> str | None:
        lead = self.world.lead_professionals.get(child)
        if lead is None or not self.sees_whereabouts(v, child):
            return None
        service = str(self.world.practitioner(lead)["serviceId"])
        return lead if self.sees_service(v, child, service) else None

    # --- 4. What must never reach the viewer, as text -------------------------------------------

    def secrets(self, v: ViewerSpec) -> list[Secret]:
        """Every string some rule withholds from `v`, minus the viewer's own identity."""
        w = self.world
        found: list[Secret] = []

        def add(
            rule: str, what: str, values: Iterable[str | None], about: str | None = None
        ) -> None:
            found.extend(Secret(x, what, rule, about) for x in values if x)

        def practitioner(pid: str) -> list[str]:
            p = w.practitioner(pid)
            return [p["id"], p["name"], p["phone"], p["email"]]

        def service(sid: str) -> list[str]:
            s = w.service(sid)
            return [s["id"], s["name"], s["phone"], s["email"]]

        for child in (c["id"] for c in w.story.children if c["shielded"]):
            if self.sees_whereabouts(v, child):
                continue
            rule = f"R4 (shielded {child})"
            record = w.child(child)
            add(rule, f"{child}'s address", [record["addressLine1"], record["addressLine2"]])
            add(rule, f"{child}'s postcode", [record["postcode"]])
            add(rule, f"the held-for-review address sent for {child}", w.review_address)
            others = {
                r["carerId"]
                for r in w.story.cares_for
                if r["childId"] != child  # a carer of a visible child (Karen) is no secret
            }
            for carer in w.carers_of(child) - others:
                k = w.carer(carer)
                add(rule, f"{child}'s carer {carer}", [k["id"], k["name"], k["phone"], k["email"]])
            for inv in w.involvements(child):
                add(rule, f"{child}'s involvement id", [inv.id])
                elsewhere = [
                    i for i in w.involvements() if i.child != child and i.service == inv.service
                ]
                if not elsewhere:  # the school only Sam attends; not the GP all four share
                    add(rule, f"{child}'s service {inv.service}", service(inv.service), child)
                if inv.practitioner:
                    add(rule, f"{child}'s practitioner", practitioner(inv.practitioner), child)
            for caf in w.cafs_of(child):
                add(rule, f"{child}'s CAF id", [caf.id])

        for inv in w.involvements():
            svc = w.service(inv.service)
            if svc["kind"] not in SENSITIVE_KINDS or self.sees_service(v, inv.child, inv.service):
                continue
            rule = f"R6 ({svc['id']} for {inv.child})"
            add(rule, "a sensitive service", service(inv.service), inv.child)
            add(rule, "a sensitive involvement id", [inv.id])
            if inv.practitioner:
                add(
                    rule,
                    "a sensitive service's practitioner",
                    practitioner(inv.practitioner),
                    inv.child,
                )
            for caf in w.cafs_of(inv.child):
                if self.holder_service(caf) == inv.service:
                    add(f"R7 ({caf.id})", "a CAF held in a hidden sensitive service", [caf.id])
            if inv.service == CLINIC:
                add(rule, "a consent record naming the clinic", sorted(w.clinic_consents))

        if v.role != AUDITOR:
            for inv in w.involvements():
                if not self.within_window(inv):
                    add("R5", "an involvement ended more than 365 days ago", [inv.id])

        own: set[str] = set()
        if v.practitioner:
            own |= set(practitioner(v.practitioner))
            own |= set(service(w.practitioner(v.practitioner)["serviceId"]))
        unique: dict[str, Secret] = {}
        for secret in found:
            if secret.value not in own:
                unique.setdefault(secret.value, secret)
        return list(unique.values())
