"""`contactgraph caf export ASSESSMENT_ID --format pdf`: the family's copy of a CAF.

contactgraph caf export ASSESSMENT_ID --format pdf --practitioner ID --purpose TEXT
                        [--output FILE]
    Writes the PDF the child and family are given (CAF guide 4.9; api/family_copy.py),
    the same document as Assessment.familyCopy. It is made on behalf of a practitioner
    who may read the CAF (R7: its holder, a team member covered by SHARE_ASSESSMENT
    consent, or one holding an access override), named with --practitioner, for a stated
    purpose, and writes one audit event like any API read (R14). Refused (exit 3, and
    audited) when R7 does not let that practitioner read it. Default output:
    caf-ASSESSMENT_ID.pdf in the current folder ("-" for standard output).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["register"]


def cmd_caf_export(args: argparse.Namespace) -> int:
    from api.cli import ensure_neo4j, with_graph
    from api.family_copy import family_copy_pdf
    from graph.assessments import fetch_assessment
    from graph.audit import AuditRecord, append_events
    from policies import disclosure
    from policies.viewer import Role, Viewer

    purpose = (args.purpose or "").strip()
    if not purpose:
        print(
            "error: --purpose is required (R2): why the family is given this copy", file=sys.stderr
        )
        return 2
    ensure_neo4j(quiet=True)

    async def work(graph: Any) -> bytes | None:
        now = datetime.now(UTC)
        content = await fetch_assessment(
            graph,
            None,
            args.assessment_id,
            practitioner_id=args.practitioner,
            subject=args.practitioner,
            now=now,
        )
        viewer = Viewer(
            subject=args.practitioner,
            roles=frozenset({Role.PRACTITIONER}),
            practitioner_id=args.practitioner,
            service_ids=content.viewer_service_ids if content else frozenset(),
        )
        allowed = content is not None and disclosure.decide(
            viewer, disclosure.AssessmentContent(content.access), content.child, now
        )
        item = f"Assessment:{args.assessment_id}.familyCopy"
        pdf = family_copy_pdf(content, now.date()) if content is not None and allowed else None
        await append_events(
            graph,
            [
                AuditRecord(
                    id=f"evt-{uuid.uuid4().hex}",
                    at=now,
                    subject=f"cli:{args.practitioner}",
                    role=Role.PRACTITIONER.value,
                    action="cafExport",
                    purpose=purpose,
                    child_ids=[content.child_id] if content else [],
                    disclosed=[item] if pdf else [],
                    denied=[] if pdf else [item],
                    request_id=f"cli-{uuid.uuid4().hex[:12]}",
                    practitioner_id=args.practitioner,
                    override_id=getattr(allowed, "override_id", None) if pdf else None,
                )
            ],
        )
        return pdf

    pdf = asyncio.run(with_graph(work))
    if pdf is None:
        print(
            "error: no assessment with that id that this practitioner may read (R7)",
            file=sys.stderr,
        )
        return 3
    if args.output == "-":
        sys.stdout.buffer.write(pdf)
        return 0
    target = Path(args.output or f"caf-{args.assessment_id}.pdf")
    target.write_bytes(pdf)
    print(f"wrote {target} ({len(pdf)} bytes)")
    return 0


def register(subparsers: Any) -> None:
    caf = subparsers.add_parser("caf", help="common assessments (CAF)")
    what = caf.add_subparsers(dest="what", required=True)
    export = what.add_parser("export", help="the family's copy of a CAF, as a PDF")
    export.add_argument("assessment_id")
    export.add_argument("--format", choices=["pdf"], required=True)
    export.add_argument(
        "--practitioner", required=True, help="who gives the copy: they must be able to read it"
    )
    export.add_argument("--purpose", required=True, help="why (R2), kept in the audit event")
    export.add_argument("--output", help="a file to write, or - for standard output")
    export.set_defaults(func=cmd_caf_export)
