"""`contactgraph export service-network` and `contactgraph statistics refresh` (R11).

contactgraph export service-network --format graphml|csv [--local-authority LA]
                                    [--min-shared-children N] [--output FILE]
    The service-level involvement network for the tools analysts already use: GraphML
    for Gephi, yEd and NetworkX (`networkx.read_graphml`), or CSV (an edge table
    Source,Target,Weight that Gephi's import wizard and `pandas` read, and with
    --output also FILE's nodes table beside it, `<stem>.nodes.csv`). Exactly what
    Query.serviceNetwork answers, through the same code: services and the number of
    children each pair shares, edges of 1 to 4 children and any that would give them
    away left out, no edge of a sensitive service, no person anywhere.

contactgraph statistics refresh
    Counts the population once and makes it the snapshot every analyst question is
    answered from (graph/statistics.py). Run it from a scheduler (hourly, or after a
    bulk load): on a million children it takes a minute or two, and the API otherwise
    starts it itself in the background once the snapshot is an hour old.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import sys
import time
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

__all__ = ["graphml", "register"]

_GRAPHML = "http://graphml.graphdrawing.org/xmlns"


def graphml(nodes: list[Any], edges: list[Any], computed_at: datetime) -> bytes:
    """Nodes are services (id, name, kind, sensitive, local authority); edges carry
    `weight`, the children two services share."""
    ET.register_namespace("", _GRAPHML)
    root = ET.Element(f"{{{_GRAPHML}}}graphml")
    keys = (
        ("name", "node", "string"),
        ("kind", "node", "string"),
        ("sensitive", "node", "boolean"),
        ("localAuthority", "node", "string"),
        ("weight", "edge", "int"),
    )
    for name, scope, kind in keys:
        ET.SubElement(
            root,
            f"{{{_GRAPHML}}}key",
            {"id": name, "for": scope, "attr.name": name, "attr.type": kind},
        )
    graph = ET.SubElement(
        root, f"{{{_GRAPHML}}}graph", {"id": "services", "edgedefault": "undirected"}
    )
    ET.SubElement(
        graph, f"{{{_GRAPHML}}}desc"
    ).text = f"ContactGraph service network, counts as of {computed_at.isoformat()} (R11)"
    for node in nodes:
        element = ET.SubElement(graph, f"{{{_GRAPHML}}}node", {"id": node.id})
        values = {
            "name": node.name,
            "kind": node.kind,
            "sensitive": "true" if node.sensitive else "false",
            "localAuthority": node.local_authority or "",
        }
        for key, value in values.items():
            ET.SubElement(element, f"{{{_GRAPHML}}}data", {"key": key}).text = value
    for number, edge in enumerate(edges):
        element = ET.SubElement(
            graph,
            f"{{{_GRAPHML}}}edge",
            {"id": f"e{number}", "source": edge.source, "target": edge.target},
        )
        ET.SubElement(element, f"{{{_GRAPHML}}}data", {"key": "weight"}).text = str(edge.children)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _edges_csv(edges: list[Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["Source", "Target", "Weight", "Type"])
    for edge in edges:
        writer.writerow([edge.source, edge.target, edge.children, "Undirected"])
    return out.getvalue()


def _nodes_csv(nodes: list[Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["Id", "Label", "Kind", "Sensitive", "LocalAuthority"])
    for node in nodes:
        writer.writerow(
            [node.id, node.name, node.kind, str(node.sensitive).lower(), node.local_authority or ""]
        )
    return out.getvalue()


def cmd_export_service_network(args: argparse.Namespace) -> int:
    from api.cli import ensure_neo4j, with_graph
    from api.resolvers.statistics import current_snapshot, service_network_view
    from api.settings import load_settings
    from policies.analytics import MIN_SHOWN

    if args.min_shared_children < MIN_SHOWN:
        print(f"error: --min-shared-children must be at least {MIN_SHOWN} (R11)", file=sys.stderr)
        return 2
    local_authority = args.local_authority.strip() if args.local_authority else None
    max_age = timedelta(seconds=load_settings().statistics_max_age_s)
    ensure_neo4j(quiet=True)

    async def work(graph: Any) -> tuple[list[Any], list[Any], datetime]:
        now = datetime.now(UTC)
        snapshot = await current_snapshot(graph, now.date(), now, max_age)
        nodes, edges = await service_network_view(
            graph,
            snapshot,
            local_authority=local_authority,
            min_shared_children=args.min_shared_children,
        )
        return nodes, edges, snapshot.computed_at

    nodes, edges, computed_at = asyncio.run(with_graph(work))
    output = Path(args.output) if args.output else None
    if args.format == "graphml":
        data = graphml(nodes, edges, computed_at)
        if output is None:
            sys.stdout.buffer.write(data)
        else:
            output.write_bytes(data)
    else:
        if output is None:
            sys.stdout.write(_edges_csv(edges))
        else:
            output.write_text(_edges_csv(edges))
            nodes_file = output.with_name(f"{output.stem}.nodes.csv")
            nodes_file.write_text(_nodes_csv(nodes))
            print(f"nodes: {nodes_file}", file=sys.stderr)
    print(
        f"{len(nodes)} services, {len(edges)} edges, counts as of {computed_at.isoformat()}",
        file=sys.stderr,
    )
    return 0


def cmd_statistics_refresh(args: argparse.Namespace) -> int:
    from api.cli import ensure_neo4j, with_graph
    from api.resolvers.statistics import refresh_snapshot

    ensure_neo4j(quiet=True)
    today = date.fromisoformat(args.as_of) if args.as_of else date.today()
    started = time.perf_counter()
    counts = asyncio.run(with_graph(lambda graph: refresh_snapshot(graph, today)))
    print(
        f"statistics snapshot as of {counts.as_of}: {sum(counts.person.values())} children, "
        f"{len(counts.kinds)} kind cells, {len(counts.pairs)} kind pairs, "
        f"{len(counts.edges)} service edges, in {time.perf_counter() - started:.1f}s"
    )
    return 0


def register(subparsers: Any) -> None:
    export = subparsers.add_parser("export", help="export aggregates for analysts (R11)")
    what = export.add_subparsers(dest="what", required=True)
    network = what.add_parser(
        "service-network", help="services and the children they share, as GraphML or CSV"
    )
    network.add_argument("--format", choices=["graphml", "csv"], required=True)
    network.add_argument("--local-authority", help="a local authority code, e.g. NBR")
    network.add_argument("--min-shared-children", type=int, default=5)
    network.add_argument("--output", help="a file to write (default: standard output)")
    network.set_defaults(func=cmd_export_service_network)

    statistics = subparsers.add_parser("statistics", help="analysts' statistics snapshot (R11)")
    action = statistics.add_subparsers(dest="action", required=True)
    refresh = action.add_parser("refresh", help="count the population now")
    refresh.add_argument("--as-of", default=None, help="ISO date ages are counted on")
    refresh.set_defaults(func=cmd_statistics_refresh)
