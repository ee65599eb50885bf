"""The loaders, the dataset card and the report on a real rendered dataset (the shared smoke render)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from synthgen.data import open_dataset
from synthgen.report import build_report

pytestmark = pytest.mark.blender


def test_a_run_writes_its_dataset_card(rendered_dataset: Path) -> None:
    card = (rendered_dataset / "README.md").read_text()
    assert "4 rows (object)" in card and "| seed | 0 |" in card and "procedural" in card


def test_rendered_rows_stream_through_a_dataloader(rendered_dataset: Path) -> None:
    torch = pytest.importorskip("torch")
    data = open_dataset(rendered_dataset).to_torch(columns=["sample_id", "image", "depth", "camera_K"])
    samples = list(torch.utils.data.DataLoader(data, batch_size=None, num_workers=2))
    assert sorted(s["sample_id"] for s in samples) == sorted(
        open_dataset(rendered_dataset).to_arrow(columns=["sample_id"]).column(0).to_pylist()
    )
    assert all(s["image"].shape == (64, 64, 3) and s["depth"].dtype == torch.uint16 for s in samples)
    assert np.allclose(samples[0]["camera_K"][2].numpy(), [0, 0, 1])


def test_the_report_of_a_real_render_has_no_errors(rendered_dataset: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(rendered_dataset, copy)  # the shared render stays as the run left it
    report = build_report(copy, samples=4)
    assert not [f for f in report.findings if f.severity == "error"], report.text
    page = report.html.read_text()
    assert "camera elevation" in page and "object classes" in page and "data:image/png;base64," in page
