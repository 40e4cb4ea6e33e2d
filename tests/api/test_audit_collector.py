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
