"""`contactgraph export service-network`: the same R11 answer as Query.serviceNetwork, as
GraphML and CSV that Gephi and NetworkX read."""

from __future__ import annotations

import csv
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from api.cli import main
from tests.analytics.conftest import Population

NS = {"g": "http://graphml.graphdrawing.org/xmlns"}


def test_graphml(
    population: Population, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "zta.graphml"
    code = main(
        ["export", "service-network", "--format", "graphml", "--local-authority", "ZTA",
         "--output", str(out)]
    )  # fmt: skip
    assert code == 0
    root = ET.parse(out).getroot()
    graph = root.find("g:graph", NS)
    assert graph is not None and graph.get("edgedefault") == "undirected"
    nodes = {n.get("id"): n for n in graph.findall("g:node", NS)}
    assert set(nodes) == {
        "s-zta-school", "s-zta-gp", "s-zta-camhs", "s-zta-refuge", "s-zta-housing"
    }  # fmt: skip
    camhs = {d.get("key"): d.text for d in nodes["s-zta-camhs"].findall("g:data", NS)}
    assert camhs == {
        "name": "Test s-zta-camhs", "kind": "MENTAL_HEALTH", "sensitive": "true",
        "localAuthority": "ZTA",
    }  # fmt: skip
    edges = [
        (e.get("source"), e.get("target"), e.find("g:data", NS).text)  # type: ignore[union-attr]
        for e in graph.findall("g:edge", NS)
    ]
    assert edges == [("s-zta-gp", "s-zta-school", "59")]
    text = out.read_text()
    assert "c-zta" not in text and "Testcount" not in text and "01632 960999" not in text
    assert "5 services, 1 edges" in capsys.readouterr().err


def test_csv_edges_and_nodes(population: Population, tmp_path: Path) -> None:
    out = tmp_path / "zta.csv"
    assert main(["export", "service-network", "--format", "csv", "--local-authority", "ZTA",
                 "--output", str(out)]) == 0  # fmt: skip
    with out.open() as handle:
        assert list(csv.DictReader(handle)) == [
            {"Source": "s-zta-gp", "Target": "s-zta-school", "Weight": "59", "Type": "Undirected"}
        ]
    with (tmp_path / "zta.nodes.csv").open() as handle:
        rows = {r["Id"]: r for r in csv.DictReader(handle)}
    assert rows["s-zta-refuge"]["Sensitive"] == "true"
    assert rows["s-zta-school"]["Kind"] == "SCHOOL"


def test_no_export_below_five(population: Population, tmp_path: Path) -> None:
    out = tmp_path / "x.csv"
    code = main(["export", "service-network", "--format", "csv", "--min-shared-children", "2",
                 "--output", str(out)])  # fmt: skip
    assert code == 2
    assert not out.exists()
