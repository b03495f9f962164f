"""The console's passes page shows the crawl nodes (answering or not) and the latest spread pass's shards."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from jikimi.cluster_demo import free_port
from jikimi.config import ClusterSettings, ScrapydNode, WebSettings, load_settings
from jikimi.scrapyd_node import Node, start_node
from storage.database import Store
from storage.runs import start_run
from storage.shards import create_ledger, mark_ledger
from tests.support.web import PASSWORD, build_world, csrf_token
from web import create_app


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    started = start_node(tmp_path_factory.mktemp("node"), free_port(), dict(os.environ))
    yield started
    started.stop()


def test_passes_page_shows_nodes_and_shards(store: Store, node: Node, tmp_path: Path) -> None:
    silent = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    cluster = ClusterSettings(nodes=(ScrapydNode(node.url), ScrapydNode(silent)), shards=2)
    settings = replace(
        load_settings(env={"JIKIMI_DATA_DIR": str(tmp_path / "data")}), web=WebSettings(), cluster=cluster
    )
    world = build_world(store)
    run_id = start_run(store, "nightly")
    entries = create_ledger(store, run_id, 2, ("search", "pages"))
    mark_ledger(
        store, entries[0].id, status="done", note=f"finished on {node.url}", node=node.url, job_id="j1"
    )
    mark_ledger(store, entries[1].id, status="lost", note=f"node {silent} stopped answering", node=silent)
    app = create_app(store, settings)
    app.config["TESTING"] = True
    client: FlaskClient = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    client.post(
        "/login",
        data={
            "username": "alice",
            "password": PASSWORD,
            "otp": world.code("alice"),
            "csrf_token": csrf_token(page),
        },
    )
    runs = client.get("/runs")
    assert runs.status_code == 200
    html = runs.get_data(as_text=True)
    assert "수집 노드" in html  # Korean first
    assert node.url in html and silent in html
    assert html.count("응답 없음") == 1  # the silent node, and only it
    assert f"실행 #{run_id}의 분할" in html
    assert "stopped answering" in html and "lost" in html
