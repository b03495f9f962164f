"""`[cluster]`: nodes, credentials and shards, each wrong value named."""

from __future__ import annotations

from pathlib import Path

import pytest

from jikimi.config import ConfigError, Settings, load_settings


def _load(tmp_path: Path, text: str) -> Settings:
    config = tmp_path / "config.toml"
    config.write_text(text, encoding="utf-8")
    return load_settings(config, env={"JIKIMI_DATA_DIR": str(tmp_path)})


def test_without_a_cluster_table_nothing_changes(tmp_path: Path) -> None:
    settings = load_settings(None, env={"JIKIMI_DATA_DIR": str(tmp_path)})
    assert settings.cluster is None


def test_nodes_with_and_without_credentials(tmp_path: Path) -> None:
    settings = _load(
        tmp_path,
        '[cluster]\nscrapyd = ["http://node-a:6800/", '
        '{url = "https://node-b:6800", username = "jikimi", password = "s3cret-node-pass"}]\n',
    )
    cluster = settings.cluster
    assert cluster is not None
    assert [n.url for n in cluster.nodes] == ["http://node-a:6800", "https://node-b:6800"]
    assert cluster.nodes[1].username == "jikimi"
    assert cluster.shards == 4  # two per node unless set
    assert "s3cret-node-pass" in settings.secrets()  # the log redactor hides it


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("[cluster]\n", "cluster.scrapyd"),
        ('[cluster]\nscrapyd = ["ftp://node-a"]\n', "cluster.scrapyd"),
        ('[cluster]\nscrapyd = ["http://a:6800", "http://a:6800"]\n', "listed twice"),
        ('[cluster]\nscrapyd = ["http://a:6800"]\nshards = 0\n', "cluster.shards"),
        ('[cluster]\nscrapyd = ["http://a:6800"]\nnodes = 2\n', "cluster.'nodes'"),
        ('[cluster]\nscrapyd = [{url = "http://a:6800", token = "x"}]\n', "cluster.scrapyd"),
        ('[cluster]\nscrapyd = ["http://a:6800"]\nproject = "a b"\n', "cluster.project"),
    ],
)
def test_wrong_values_are_named(tmp_path: Path, text: str, named: str) -> None:
    with pytest.raises(ConfigError, match=named.replace(".", r"\.").replace("'", "'?")):
        _load(tmp_path, text)
