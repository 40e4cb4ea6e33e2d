"""The pure webhook rules: URLs, addresses, the retry schedule; and the signature, checked
against the standardwebhooks package (an implementation that is not ours)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from standardwebhooks import Webhook

from policies.viewer import Role, Viewer
from policies.webhooks import (
    DeliveryState,
    RetrySchedule,
    address_allowed,
    check_url,
    delivery_listing,
    may_manage_endpoints,
    may_read_endpoints,
    redacted_url,
    sensitive_hidden_from,
    service_may_receive,
    succeeded,
)
from webhooks import signing
from webhooks.secretbox import SecretBox


@pytest.mark.parametrize(
    ("url", "dev", "prod"),
    [
        ("https://mis.example-school.org.uk/webhooks", True, True),
        ("https://mis.example.org:8443/h?x=1", True, True),
        ("http://127.0.0.1:8281/hook", True, False),
        ("http://[::1]:8281/hook", False, False),  # the message says 127.0.0.1 only
        ("http://localhost:8281/hook", False, False),  # loopback by address only
        ("https://127.0.0.1/hook", True, False),
        ("https://localhost/hook", True, False),
        ("http://mis.example.org/hook", False, False),
        ("https://192.168.1.10/hook", False, False),
        ("https://100.64.0.1/hook", False, False),  # carrier-grade NAT
        ("https://[fd00::1]/hook", False, False),
        ("https://0.0.0.0/hook", False, False),
        ("https://svc.internal/hook", True, False),
        ("https://a:b@mis.example.org/hook", False, False),
        ("https://mis.example.org:0/hook", False, False),
        ("https://mis.example.org:99999/hook", False, False),
        ("javascript:alert(1)", False, False),
        ("https://0x7f.1/hook", False, False),  # 127.0.0.1 to inet_aton
        ("https://127.1/hook", False, False),
        ("https://2130706433/hook", False, False),
        ("https://10.0.0.1.nip.io/hook", True, True),  # a name: checked when resolved
        ("https:///nohost", False, False),
        ("https://mis.example.org/\r\nX-Evil: 1", False, False),
        ("https://mis.example.org/" + "a" * 2100, False, False),
    ],
)
def test_url_rules(url: str, dev: bool, prod: bool) -> None:
    assert bool(check_url(url, production=False)) is dev
    assert bool(check_url(url, production=True)) is prod


def test_addresses() -> None:
    assert address_allowed("127.0.0.1", production=False)
    assert not address_allowed("127.0.0.1", production=True)
    assert address_allowed("93.184.216.34", production=True)
    for private in ("10.1.2.3", "172.16.0.1", "192.168.0.1", "169.254.169.254", "::ffff:10.0.0.1"):
        assert not address_allowed(private, production=False)
        assert not address_allowed(private, production=True)
    assert not address_allowed("not an address", production=False)


def test_retry_schedule_grows_is_jittered_and_ends() -> None:
    s = RetrySchedule(max_attempts=5, base_s=10, factor=2, cap_s=60)
    assert s.delay_after(1, 0.0) == 5 and s.delay_after(1, 1.0) == 10
    assert s.delay_after(2, 0.0) == 10 and s.delay_after(2, 0.999) < 20
    assert s.delay_after(4, 1.0) == 60  # capped
    assert s.delay_after(5, 0.5) is None  # dead after the last attempt
    with pytest.raises(ValueError):
        RetrySchedule(max_attempts=0)


@given(st.integers(min_value=1, max_value=7), st.floats(min_value=0, max_value=1))
def test_retry_delay_is_within_the_upper_half_of_its_step(attempts: int, jitter: float) -> None:
    s = RetrySchedule()
    delay = s.delay_after(attempts, jitter)
    step = min(s.cap_s, s.base_s * s.factor ** (attempts - 1))
    assert delay is not None and step / 2 <= delay <= step


def test_only_2xx_acknowledges() -> None:
    assert succeeded(200) and succeeded(204) and succeeded(299)
    for status in (None, 100, 301, 302, 304, 400, 410, 500):
        assert not succeeded(status)


def test_who_manages_and_reads() -> None:
    admin = Viewer("a", frozenset({Role.INDEX_ADMIN}), local_authority="NBR")
    assert may_manage_endpoints(admin, "NBR")
    assert not may_manage_endpoints(admin, "EVL")
    assert not may_manage_endpoints(admin, None)
    lead = Viewer("l", frozenset({Role.SAFEGUARDING_LEAD}), local_authority="NBR")
    assert not may_manage_endpoints(lead, "NBR") and not may_read_endpoints(lead)
    auditor = Viewer("x", frozenset({Role.AUDITOR}))
    assert may_read_endpoints(auditor) and not may_manage_endpoints(auditor, "NBR")


def test_our_signature_verifies_with_the_standardwebhooks_package() -> None:
    secret = signing.new_secret()
    assert secret.startswith("whsec_")
    body = b'{"id":"ntf-1","summary":"caf\xc3\xa9"}'
    ts = int(datetime.now(UTC).timestamp())
    headers = signing.headers([signing.decode_secret(secret)], "ntf-1", ts, body)
    assert Webhook(secret).verify(body, headers)["id"] == "ntf-1"
    # and the package's own signature equals ours
    theirs = Webhook(secret).sign("ntf-1", datetime.fromtimestamp(ts, UTC), body.decode())
    assert theirs == headers["webhook-signature"]


def test_a_sealed_secret_opens_only_for_its_endpoint() -> None:
    box = SecretBox(b"k" * 32)
    sealed = box.seal("wh-1", "whsec_abc")
    assert "whsec_abc" not in sealed
    assert box.open("wh-1", sealed) == "whsec_abc"
    with pytest.raises(Exception):  # noqa: B017 - cryptography's InvalidTag
        box.open("wh-2", sealed)
    with pytest.raises(Exception):  # noqa: B017
        SecretBox(b"j" * 32).open("wh-1", sealed)


@pytest.mark.parametrize(
    ("kind", "flag", "ok"),
    [
        ("SCHOOL", False, True),
        ("HOUSING", False, True),
        ("SCHOOL", True, False),  # a feed flags it sensitive
        ("SEXUAL_HEALTH", False, False),
        ("MENTAL_HEALTH", False, False),
        ("SUBSTANCE_MISUSE", False, False),
    ],
)
def test_a_sensitive_service_never_receives(kind: str, flag: bool, ok: bool) -> None:
    decision = service_may_receive(kind, flag)
    assert bool(decision) is ok
    if not ok:
        assert "sensitive service" in decision.reason


def test_only_an_auditor_lists_sensitive_services_endpoints() -> None:
    admin = Viewer("a", frozenset({Role.INDEX_ADMIN}), local_authority="NBR")
    auditor = Viewer("b", frozenset({Role.AUDITOR}))
    assert "SEXUAL_HEALTH" in (sensitive_hidden_from(admin) or ())
    assert sensitive_hidden_from(auditor) is None


def test_only_an_auditor_lists_withheld_deliveries() -> None:
    """R4: that a delivery was withheld says something happened its recipient may not see."""
    admin = Viewer("a", frozenset({Role.INDEX_ADMIN}), local_authority="NBR")
    auditor = Viewer("b", frozenset({Role.AUDITOR}))
    listing = delivery_listing(admin)
    assert listing.states == {s.value for s in DeliveryState} - {"WITHHELD"}
    assert not listing.shows("WITHHELD", sent=True)
    # Not sent yet, it may be withheld at its first attempt: listed, then gone, it would
    # say so (found by red-teaming).
    assert not listing.shows("PENDING", sent=False) and not listing.shows("CANCELLED", False)
    assert listing.shows("PENDING", sent=True) and listing.shows("DEAD", sent=True)
    everything = delivery_listing(auditor)
    assert everything.states is None and everything.shows("WITHHELD", sent=False)


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("http://a:b@127.0.0.1:8281/h", "http://127.0.0.1:8281/h"),
        ("https://user@mis.example.org/x?token=s3cret#f", "https://mis.example.org/x"),
        ("https://mis.example.org/hook", "https://mis.example.org/hook"),
        ("nonsense:pw@x", "x"),
    ],
)
def test_a_url_is_recorded_without_credentials(url: str, kept: str) -> None:
    assert redacted_url(url) == kept
