"""The family's copy of a CAF, as a PDF a parent can read (CAF guide 4.9, 4.12).

"A copy should be given to the child or young person and their parent/carer ... who
should be encouraged to take it with them when they are in contact with services." It
is written to them, not to practitioners: plain headings, their own words first, who to
contact, what was agreed and how it is going.

What goes in is asked of the decision point like every other disclosure: each
practitioner named is a `FamilyCopyPractitioner` item (policies.disclosure), so no one
from a sensitive service appears, nor an action they own, nor their presence at a
review (R6): the copy is read by the child and the parents alike, and the child may
have confided in that service alone. Contact details follow R17. The pre-assessment
checklist and the team's history are the practitioners' tools and stay out.

fpdf2 (a maintained, pure-Python PDF writer) with its built-in Helvetica, so the copy
needs no font files on the machine; text is brought into Latin-1 for it.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime, time

from fpdf import FPDF

from graph.assessments import AssessmentContent
from policies import disclosure
from policies.decision import Rule
from policies.facts import ContactFact, PractitionerFact
from policies.viewer import Viewer

__all__ = ["family_copy_pdf"]

#: The reader of the copy: the family, who hold no role and work for no service.
_FAMILY = Viewer(subject="family-copy", roles=frozenset(), practitioner_id=None)

_DOMAINS = {
    "DEVELOPMENT_OF_CHILD": "How {name} is growing and learning",
    "PARENTS_AND_CARERS": "Parents and carers",
    "FAMILY_AND_ENVIRONMENT": "Family, home and money",
}
_RATINGS = {
    "WORSE": "things have got harder",
    "NO_CHANGE": "no change yet",
    "SOME_PROGRESS": "some progress",
    "GOOD_PROGRESS": "good progress",
    "MET": "this need is now met",
}
_SIGNERS = {"CHILD": "the young person", "PARENT_OR_CARER": "a parent or carer"}
_PLAIN = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2026": "...",
        "\u00a0": " ",
    }
)


def _text(value: str) -> str:
    """Helvetica speaks Latin-1: keep what it can show, spell out the rest plainly."""
    value = unicodedata.normalize("NFC", value.translate(_PLAIN))
    return value.encode("latin-1", "replace").decode("latin-1")


def _day(value: date | None) -> str:
    return f"{value.day} {value:%B %Y}" if value else "not set"


class _Copy:
    def __init__(self, content: AssessmentContent, today: date) -> None:
        self.content = content
        self.today = today
        self.child_name = f"{content.child.given_name} {content.child.family_name}".strip()
        self.pdf = FPDF(format="A4")
        self.pdf.set_title(_text(f"Common Assessment: family copy for {self.child_name}"))
        self.pdf.set_creator("ContactGraph")
        self.pdf.set_creation_date(datetime.combine(today, time(), tzinfo=UTC))
        self.pdf.set_auto_page_break(auto=True, margin=18)
        self.pdf.add_page()

    def named(self, person: PractitionerFact | None) -> bool:
        if person is None:
            return False
        seen = disclosure.decide(
            _FAMILY,
            disclosure.FamilyCopyPractitioner(person),
            self.content.child,
            datetime.combine(self.today, time(12), tzinfo=UTC),
        )
        return seen.allowed or seen.rule is Rule.R17

    def reachable(self, person: PractitionerFact) -> bool:
        return bool(disclosure.available(person, self.today))

    def heading(self, words: str) -> None:
        self.pdf.ln(3)
        self.pdf.set_font("Helvetica", "B", 13)
        self.pdf.multi_cell(0, 7, _text(words), new_x="LMARGIN", new_y="NEXT")
        self.pdf.set_font("Helvetica", "", 11)

    def line(self, words: str, indent: float = 0) -> None:
        self.pdf.set_font("Helvetica", "", 11)
        self.pdf.set_x(self.pdf.l_margin + indent)
        self.pdf.multi_cell(0, 6, _text(words), new_x="LMARGIN", new_y="NEXT")

    def who(self, person: PractitionerFact) -> str:
        service = person.service.name if person.service else None
        role = ", ".join(x for x in (person.job_title, service) if x)
        return f"{person.name} ({role})" if role else person.name

    def contact(self, person: PractitionerFact) -> str:
        reach: ContactFact | None = person.contact
        if not self.reachable(person) or reach is None:
            reach = person.service.contact if person.service else None
        if reach is None:
            return ""
        return " / ".join(x for x in (reach.phone, reach.email) if x)

    def build(self) -> bytes:
        c = self.content
        pdf = self.pdf
        pdf.set_font("Helvetica", "B", 17)
        pdf.multi_cell(
            0,
            9,
            _text(f"{self.child_name}: your copy of the Common Assessment"),
            new_x="LMARGIN",
            new_y="NEXT",
        )
        self.line(
            f"This is the common assessment (CAF) about {self.child_name}, written with you. "
            "It is your copy to keep. You can take it with you when you see a service, so you "
            "do not have to tell your story again. If anything in it is wrong, or you want to "
            "change who it is shared with, tell the person named below."
        )
        self.line(f"Started on {_day(c.started_on)}. Made on {_day(self.today)}.")
        if c.status != "OPEN":
            self.line(f"This assessment ended on {_day(c.closed_on)}.")

        self.heading("Who to contact")
        if self.named(c.holder):
            self.line(self.who(c.holder))
            if not self.reachable(c.holder) and c.holder.service:
                self.line(
                    f"{c.holder.name} is away at the moment: please contact "
                    f"{c.holder.service.name}."
                )
            reach = self.contact(c.holder)
            if reach:
                self.line(reach)
        else:
            self.line("Please contact your local authority's children's services.")
        if c.social_care_since is not None:
            self.line(
                f"Children's social care has been working with your family since "
                f"{_day(c.social_care_since)}."
            )

        self.heading("What you told us")
        self.line(f"{c.child.given_name} said:")
        self.line(c.form.child_views or "(not written down yet)", indent=6)
        self.line("Parents and carers said:")
        self.line(c.form.parents_views or "(not written down yet)", indent=6)

        if c.strengths:
            self.heading("What is going well")
            for strength in c.strengths:
                self.line(f"- {strength}", indent=2)

        self.heading("What we agreed needs help")
        needs_by_id = {}
        for number, need in enumerate(c.needs, start=1):
            needs_by_id[need.id] = number
            area = _DOMAINS.get(need.domain, need.domain).format(name=c.child.given_name)
            done = f" - met on {_day(need.met_on)}" if need.status == "MET" else ""
            self.line(f"{number}. {need.summary} ({area}: {need.element}){done}", indent=2)

        actions = [a for a in c.actions if a.owner is None or self.named(a.owner)]
        if actions:
            self.heading("What we will do")
            for action in actions:
                by = f" - {action.owner.name}" if action.owner else ""
                when = (
                    f" (done {_day(action.done_on)})"
                    if action.done_on
                    else f" (by {_day(action.due_on)})"
                    if action.due_on
                    else ""
                )
                self.line(f"- {action.description}{by}{when}", indent=2)

        self.heading(f"The team around {c.child.given_name}")
        for member in c.family:
            relation = f" ({member.relationship})" if member.relationship else ""
            self.line(f"- {member.name}{relation}", indent=2)
        for person in (c.holder, *c.team):
            if person.id == c.holder.id and person is not c.holder:
                continue
            if self.named(person):
                self.line(f"- {self.who(person)}", indent=2)

        if c.reviews:
            self.heading("How it is going: reviews")
            team = {p.id: p for p in (c.holder, *c.team)}
            for review in c.reviews:
                self.line(f"Review on {_day(review.held_on)}")
                came = [
                    a.name
                    for a in review.attendees
                    if a.kind != "PRACTITIONER" or (a.id in team and self.named(team[a.id]))
                ]
                if came:
                    self.line("Who came: " + ", ".join(came), indent=6)
                for p in review.progress:
                    if p.need_id not in needs_by_id:
                        continue
                    number = needs_by_id[p.need_id]
                    note = f": {p.note}" if p.note else ""
                    self.line(f"Need {number}: {_RATINGS.get(p.rating, p.rating)}{note}", indent=6)
                if review.changes:
                    self.line(f"What changes: {review.changes}", indent=6)
                if review.next_review_on:
                    self.line(f"Next review: {_day(review.next_review_on)}", indent=6)
        elif c.next_review_on:
            self.heading("Next review")
            self.line(_day(c.next_review_on))

        if c.form.consent_statement:
            self.heading("Your consent")
            self.line(c.form.consent_statement)
            signer = _SIGNERS.get(c.form.consent_signed_by or "", "")
            self.line(
                f"Signed by {c.form.consent_signer_name or signer} ({signer}) on "
                f"{_day(c.form.consent_signed_on)}."
            )
        self.line("")
        self.line("You can ask for this consent to be changed or withdrawn at any time.")
        return bytes(pdf.output())


def family_copy_pdf(content: AssessmentContent, today: date) -> bytes:
    """The family's copy of one CAF, as PDF bytes."""
    return _Copy(content, today).build()
