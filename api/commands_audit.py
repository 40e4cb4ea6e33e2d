"""`contactgraph audit ...` and `contactgraph users ...`: watching and acting on misuse.

contactgraph audit verify
    Walk the hash chain and name the first broken link (R14).

contactgraph audit report --from DATE --to DATE [--local-authority LA] [--format csv|json]
    Per subject: requests, distinct children, shielded-child reads, out-of-area reads,
    overrides and refused reads, most unusual first against their role's norm: what
    Query.accessReport answers, through the same code. `--to` is exclusive; dates are
    ISO (a date means its midnight, UTC). Without --local-authority, every authority.

contactgraph audit subject-access CHILD_ID [--format json|csv|pdf] [--output FILE]
    UK GDPR article 15: every access to a child's record, when, by which organisation
    and role, for what stated purpose and what was shown, in words a family can read
    (policies/subject_access.py says what is named and what is not). A shielded child's
    report is addressed to their index team and says never to post it. Producing the
    report reads the child's record, so it is audited like any read (R14).

contactgraph users suspend SUBJECT --reason TEXT
contactgraph users reinstate SUBJECT --reason TEXT
contactgraph users suspended [--all]
    What Mutation.suspendSubject / reinstateSubject and Query.suspensions do, for the
    index's operators: effective on the subject's next request to any API process, and
    audited as `cli:<user>`.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import getpass
import io
import json
import sys
import uuid
from dataclasses import asdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

__all__ = ["register", "subject_access_pdf"]

_PDF_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
_PDF_BOLD = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")


def _when(text: str) -> datetime:
    value = (
        datetime.fromisoformat(text)
        if "T" in text
        else datetime.combine(date.fromisoformat(text), datetime.min.time())
    )
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _cli_subject() -> str:
    return f"cli:{getpass.getuser()}"


async def _audit(graph: Any, action: str, child_ids: list[str], purpose: str, reason: str) -> None:
    """The command line's own event (R14), as retention writes its own."""
    from graph.audit import AuditRecord, append_events

    await append_events(
        graph,
        [
            AuditRecord(
                id=str(uuid.uuid4()),
                at=datetime.now(UTC),
                subject=_cli_subject(),
                role="AUDITOR",
                action=action,
                purpose=purpose,
                child_ids=child_ids,
                disclosed=[f"Child:{c}.auditTrail" for c in child_ids],
                denied=[],
                request_id=f"cli-{uuid.uuid4().hex}",
                reason=reason,
            )
        ],
    )


# --- audit verify -------------------------------------------------------------------------


def cmd_verify(args: argparse.Namespace) -> int:
    from api.cli import cmd_audit

    return cmd_audit(args)


# --- audit report -------------------------------------------------------------------------


def _report_columns() -> tuple[str, ...]:
    from policies.monitoring import FIGURES

    return ("subject", "role", "local_authority", *FIGURES, "unusualness", "reasons")


def cmd_report(args: argparse.Namespace) -> int:
    from api.cli import ensure_neo4j, with_graph
    from api.errors import BadUserInput
    from api.resolvers.monitoring import access_report, check_period
    from api.settings import load_settings

    try:
        start, end = check_period(_when(args.start), _when(args.end))
    except (ValueError, BadUserInput) as exc:
        print(f"error: {getattr(exc, 'message', exc)}", file=sys.stderr)
        return 2
    ensure_neo4j(quiet=True)
    budgets = load_settings().browsing_budgets

    async def work(graph: Any) -> list[Any]:
        ranked = await access_report(graph, args.local_authority, start, end, budgets)
        await _audit(
            graph,
            "accessReport",
            [],
            "monitoring report",
            f"access report {args.local_authority or 'all'} {start.isoformat()}/{end.isoformat()}",
        )
        return ranked

    ranked = asyncio.run(with_graph(work))
    rows = [
        {
            **{k: v for k, v in asdict(r.figures).items()},
            "unusualness": r.unusualness,
            "reasons": list(r.reasons),
        }
        for r in ranked
    ]
    if args.format == "json":
        print(
            json.dumps(
                {
                    "localAuthority": args.local_authority,
                    "from": start.isoformat(),
                    "to": end.isoformat(),
                    "subjects": rows,
                },
                indent=2,
            )
        )
    else:
        out = csv.DictWriter(sys.stdout, fieldnames=_report_columns(), lineterminator="\n")
        out.writeheader()
        for row in rows:
            out.writerow({**row, "reasons": " ".join(row["reasons"])})
    return 0


# --- audit subject-access -----------------------------------------------------------------

_SAR_COLUMNS = ("when", "organisation", "role", "what they did", "purpose", "what was shown")


def _sar_rows(report: Any) -> list[tuple[str, str, str, str, str, str]]:
    return [
        (
            line.at.astimezone(UTC).strftime("%d %b %Y %H:%M UTC"),
            line.organisation,
            line.role,
            line.what_they_did,
            line.purpose,
            line.what_was_shown,
        )
        for line in report.lines
    ]


def subject_access_pdf(report: Any, generated: datetime) -> bytes:
    """A family's copy: a page header on every page, plain words, then a table."""
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    title = f"Who has looked at {report.child_name}'s record"

    class Report(FPDF):
        def header(self) -> None:
            self.set_font(body, "B", 13)
            self.cell(0, 8, title, new_x="LMARGIN", new_y="NEXT")
            self.set_font(body, "", 8)
            self.cell(
                0,
                5,
                f"ContactGraph children's index - record {report.child_id} - produced "
                f"{generated:%d %B %Y}",
                new_x="LMARGIN",
                new_y="NEXT",
            )
            self.ln(3)

        def footer(self) -> None:
            self.set_y(-12)
            self.set_font(body, "", 8)
            self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="C")

    pdf = Report(orientation="landscape", format="A4")
    if _PDF_FONT.exists() and _PDF_BOLD.exists():
        pdf.add_font("Body", "", str(_PDF_FONT))
        pdf.add_font("Body", "B", str(_PDF_BOLD))
        body = "Body"
    else:  # the core font: Latin-1 only
        body = "Helvetica"
    pdf.alias_nb_pages()
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font(body, "", 10)
    intro = (
        f"You asked who has seen the index record of {report.child_name}. The table below "
        "lists every time someone used it: when, which organisation and in what role, why "
        "they said they needed it, and what it showed them. The index is used by schools, "
        "health and social care services to find who else is working with a child."
    )
    for paragraph in (intro, *report.notes, f"This report is for: {report.deliver_to}."):
        pdf.multi_cell(0, 5, _fit(paragraph, body), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
    pdf.ln(2)
    rows = _sar_rows(report)
    if not rows:
        pdf.multi_cell(0, 5, "Nobody has used this record.")
    else:
        pdf.set_font(body, "", 8)
        with pdf.table(
            col_widths=(24, 45, 22, 45, 60, 70),
            text_align="LEFT",
            line_height=4.5,
            headings_style=FontFace(emphasis="BOLD", fill_color=(225, 225, 225)),
        ) as table:
            for row in [_SAR_COLUMNS, *rows]:
                cells = table.row()
                for value in row:
                    cells.cell(_fit(value, body))
    return bytes(pdf.output())


def _fit(text: str, font: str) -> str:
    """The core font holds Latin-1 only; a TrueType font holds everything we write."""
    return text if font != "Helvetica" else text.encode("latin-1", "replace").decode("latin-1")


def cmd_subject_access(args: argparse.Namespace) -> int:
    from api.cli import ensure_neo4j, with_graph
    from graph import subject_access as facts
    from policies.subject_access import report as build_report

    ensure_neo4j(quiet=True)

    async def work(graph: Any) -> Any:
        child = await facts.child_access_facts(graph, args.child_id)
        if child is None:
            return None
        events = await facts.access_events(graph, args.child_id)
        await _audit(
            graph,
            "subjectAccess",
            [args.child_id],
            "UK GDPR article 15 subject access request",
            f"subject access report ({args.format})",
        )
        return build_report(child, events)

    report = asyncio.run(with_graph(work))
    if report is None:
        print(f"error: no child {args.child_id} on the index", file=sys.stderr)
        return 1
    generated = datetime.now(UTC)
    if args.format == "pdf":
        data = subject_access_pdf(report, generated)
    elif args.format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(_SAR_COLUMNS)
        writer.writerows(_sar_rows(report))
        data = buffer.getvalue().encode()
    else:
        document = asdict(report)
        for line in document["lines"]:
            line["at"] = line["at"].astimezone(UTC).isoformat()
        document["generated"] = generated.isoformat()
        data = (json.dumps(document, indent=2) + "\n").encode()
    if args.output:
        Path(args.output).write_bytes(data)
        print(f"wrote {args.output} for {report.deliver_to}", file=sys.stderr)
    elif args.format == "pdf":
        print("error: a PDF needs --output FILE", file=sys.stderr)
        return 2
    else:
        sys.stdout.write(data.decode())
    if not report.deliver_by_post:
        print(
            "NOTE: this child's whereabouts are protected; the report goes to the index team "
            f"({report.deliver_to}), never by post.",
            file=sys.stderr,
        )
    return 0


# --- users --------------------------------------------------------------------------------


def cmd_users(args: argparse.Namespace) -> int:
    from api.cli import ensure_neo4j, with_graph
    from graph import suspensions
    from policies.suspension import check_reason

    ensure_neo4j(quiet=True)
    if args.action == "suspended":
        records = asyncio.run(
            with_graph(
                lambda g: suspensions.list_suspensions(g, include_reinstated=args.all, limit=1000)
            )
        )
        for r in records:
            state = "SUSPENDED" if r.suspended else f"reinstated {r.reinstated_at:%Y-%m-%d %H:%M}"
            print(f"{r.subject}\t{state}\tsince {r.since:%Y-%m-%d %H:%M} by {r.by}\t{r.reason}")
        return 0
    if not args.subject or not args.reason:
        print("error: give SUBJECT and --reason", file=sys.stderr)
        return 2
    checked = check_reason(args.reason)
    if not checked:
        print(f"error: {checked.reason}", file=sys.stderr)
        return 2
    now = datetime.now(UTC)

    async def work(graph: Any) -> Any:
        done: suspensions.Suspension | None
        if args.action == "suspend":
            done = await suspensions.suspend(graph, args.subject, args.reason, _cli_subject(), now)
        else:
            done = await suspensions.reinstate(
                graph, args.subject, args.reason, _cli_subject(), now
            )
        if done is not None:
            await _audit(
                graph,
                f"{args.action}Subject",
                [],
                "account suspension",
                f"{args.action}Subject {args.subject}: {args.reason}",
            )
        return done

    done = asyncio.run(with_graph(work))
    if done is None:
        print(f"error: {args.subject} is not suspended", file=sys.stderr)
        return 1
    print(f"{args.subject}: {'suspended' if done.suspended else 'reinstated'}")
    return 0


def register(subparsers: Any) -> None:
    audit = subparsers.add_parser("audit", help="audit trail tools (R14)")
    actions = audit.add_subparsers(dest="audit_action", required=True)
    actions.add_parser("verify", help="check the hash chain").set_defaults(func=cmd_verify)

    report = actions.add_parser("report", help="per-subject monitoring report")
    report.add_argument("--from", dest="start", required=True, help="ISO date or date-time")
    report.add_argument("--to", dest="end", required=True, help="ISO date or date-time (exclusive)")
    report.add_argument("--local-authority", help="one authority's subjects (default: all)")
    report.add_argument("--format", choices=["csv", "json"], default="csv")
    report.set_defaults(func=cmd_report)

    sar = actions.add_parser("subject-access", help="UK GDPR art. 15 report for one child")
    sar.add_argument("child_id")
    sar.add_argument("--format", choices=["json", "csv", "pdf"], default="json")
    sar.add_argument("--output", help="write to FILE (needed for pdf)")
    sar.set_defaults(func=cmd_subject_access)

    users = subparsers.add_parser("users", help="suspend and reinstate subjects")
    users.add_argument("action", choices=["suspend", "reinstate", "suspended"])
    users.add_argument("subject", nargs="?")
    users.add_argument("--reason")
    users.add_argument("--all", action="store_true", help="with suspended: reinstated ones too")
    users.set_defaults(func=cmd_users)
