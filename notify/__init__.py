"""Notifications (issue 20): the dispatcher that fans the outbox out, and delivery's re-check.

Like feeds/, this is where graph/ (facts, writes) and policies/ (who is told what) meet;
api/ serves the inbox and the subscription on top of it.
"""
