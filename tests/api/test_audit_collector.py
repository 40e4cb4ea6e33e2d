"""What a request's audit event says it disclosed (R14), when the answer is refused after
the read: a subject found suspended once their request had read (the inbox, say) gets
no data, and the event must not claim that anything was shown (red team, LOW)."""

from __future__ import annotations

from api.audit import AuditCollector


def test_a_refusal_after_the_read_discloses_nothing_and_says_why() -> None:
    audit = AuditCollector()
    audit.touch("notifications")
    audit.child("c-hannah")
    audit.disclose("Child:c-hannah")
    audit.disclose("Involvement:i-hannah-youth")
    audit.deny("Involvement:i-hannah-clinic")
    audit.withhold_all("not sent: the subject is suspended")
    record = audit.record(subject="p-lee", role="PRACTITIONER", purpose=None, request_id="r")
    assert record.disclosed == []
    assert record.child_ids == ["c-hannah"]  # the read is still named (R14)
    assert record.denied == [
        "Involvement:i-hannah-clinic",
        "Child:c-hannah: not sent: the subject is suspended",
        "Involvement:i-hannah-youth: not sent: the subject is suspended",
    ]
    # The child stays named for the check that every child read is audited.
    assert audit.unaudited({"c-hannah"}) == set()


def test_a_child_read_only_to_decide_is_named_and_said_to_be_shown_nothing() -> None:
    """A listing that read three children's reports to decide which to show, and showed
    Jack's: the event names every one (R14), and says of Hannah alone that it
    showed nothing of them, whatever order the reads and the showing came in."""
    audit = AuditCollector()
    audit.touch("recordErrors")
    audit.child("c-sam")  # shown first, read to decide after: still shown
    for child in ("c-hannah", "c-jack", "c-sam", "c-ellie"):
        audit.consulted(child)
    audit.child("c-jack")
    audit.child("c-ellie")
    audit.deny("RecordError:re-1: R6: reported from a sensitive service")
    record = audit.record(subject="admin", role="INDEX_ADMIN", purpose="q", request_id="r")
    assert record.child_ids == ["c-sam", "c-hannah", "c-jack", "c-ellie"]
    assert record.denied == [
        "RecordError:re-1: R6: reported from a sensitive service",
        "Child:c-hannah.readToDecide",
    ]
    assert audit.unaudited({"c-hannah", "c-jack", "c-sam", "c-ellie"}) == set()
