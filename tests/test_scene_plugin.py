"""A new scene kind through the real pipeline: the test-only sphere kind (tests/plugins/sphere), registered as a
plugin on both sides, renders end to end in real Blender workers and validates like any dataset."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
import yaml

from synthgen.dataset.image_codec import decode_image

REPO = Path(__file__).resolve().parents[1]
PLUGIN_ENV = {**os.environ, "SYNTHGEN_PLUGINS": "tests.plugins.sphere", "PYTHONPATH": str(REPO)}


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "synthgen", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=600
    )


def _sphere_config(tmp_path: Path) -> Path:
    config = tmp_path / "sphere.yaml"
    config.write_text(
        yaml.safe_dump(
            {"num_renders": 2, "resolution": 48, "render": {"spp": 4, "denoise": False}, "scene": {"type": "sphere"},
             "out": str(tmp_path / "spheres"), "dataset": {"renders_per_shard": 2}}
        )
    )  # fmt: skip
    return config


@pytest.mark.blender
def test_a_plugin_scene_kind_renders_end_to_end(tmp_path: Path) -> None:
    result = _cli("render", "--config", str(_sphere_config(tmp_path)), "--no-progress", env=PLUGIN_ENV)
    assert result.returncode == 0, result.stderr
    assert _cli("validate", str(tmp_path / "spheres"), env=PLUGIN_ENV).returncode == 0
    table = pq.read_table(tmp_path / "spheres" / "data").to_pylist()
    assert len(table) == 2
    for row in table:
        assert [i["class"] for i in row["instances"]] == ["sphere"]
        mask = decode_image(row["mask"]["bytes"])
        rows, cols = np.nonzero(mask == 1)
        x0, y0, x1, y1 = row["bbox"]
        assert (x0, y0, x1, y1) == (cols.min(), rows.min(), cols.max() + 1, rows.max() + 1)
        image = decode_image(row["image"]["bytes"]).astype(float)
        assert image[mask == 1].std() > 1.0  # a shaded sphere, not a flat fill


def test_without_the_plugin_the_kind_is_a_one_line_error(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "SYNTHGEN_PLUGINS"}
    result = _cli("render", "--config", str(_sphere_config(tmp_path)), "--no-progress", env=env)
    assert result.returncode == 2
    assert "scene" in result.stderr and "sphere" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert not (tmp_path / "spheres").exists()


def test_an_unimportable_plugin_is_a_one_line_error(tmp_path: Path) -> None:
    env = {**os.environ, "SYNTHGEN_PLUGINS": "no_such_plugin_module"}
    result = _cli("render", "--config", str(_sphere_config(tmp_path)), "--no-progress", env=env)
    assert result.returncode == 2
    assert "SYNTHGEN_PLUGINS" in result.stderr and "no_such_plugin_module" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
