"""The DuckDB queries shown in docs/dataset-format.md run as written (on a small fake dataset)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.fake_dataset import hand_rows, write_fake_dataset


def _doc_queries() -> list[str]:
    text = (REPO / "docs" / "dataset-format.md").read_text()
    return re.findall(r'duckdb\.sql\("""(.*?)"""\)', text, flags=re.DOTALL)


def test_the_documented_duckdb_queries_run(tmp_path: Path) -> None:
    duckdb = pytest.importorskip("duckdb")
    rows = hand_rows(20, 5)
    rows[0]["split"] = "validation" if rows[0]["split"] != "validation" else "train"  # identity 0: two splits
    folder = write_fake_dataset(tmp_path / "hands", rows)
    queries = _doc_queries()
    assert len(queries) == 2
    pattern = str(folder / "data" / "*" / "*.parquet")
    summary, leaks = (duckdb.sql(q.replace("outputs/quickstart/data/*/*.parquet", pattern)).fetchall() for q in queries)
    assert sum(renders for _, _, renders, _ in summary) == 20
    assert all(0 < area < 1 for *_, area in summary)
    assert [identity for identity, _ in leaks] == [0]
    focal = duckdb.sql(f"SELECT max(CAST(spec->>'$.camera.focal_mm' AS DOUBLE)) FROM '{pattern}'").fetchall()
    assert focal == [(54.0,)]
