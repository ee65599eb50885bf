"""Shared fixtures. Blender never runs in the pytest process itself: only in render worker subprocesses."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from synthgen.config import JobConfig, load_config

REPO = Path(__file__).resolve().parents[1]


def run_cli(*args: str, cwd: Path = REPO, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Runs ``python -m synthgen ARGS`` as a user would; returns the finished process."""
    return subprocess.run(
        [sys.executable, "-m", "synthgen", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture
def smoke_config(tmp_path: Path) -> JobConfig:
    """The tiny 64x64 preset, written into a fresh folder."""
    return load_config("smoke", overrides={"out": str(tmp_path / "dataset")})


@pytest.fixture(scope="session")
def rendered_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One real dataset rendered by the command line (4 renders, 64x64, real Blender), shared read-only."""
    out = tmp_path_factory.mktemp("e2e") / "smoke"
    result = run_cli("render", "--preset", "smoke", "--out", str(out), "--no-progress")
    assert result.returncode == 0, result.stderr
    return out


# Seed 3 splits the 6 identities 3 train / 3 test (splits are drawn per identity), and its attack plan puts
# print, cut-out and silicone attacks in both splits (screen in train only) beside 9 live test captures.
PALM_EVAL_CONFIG = """preset: palm-scanner
seed: 3
resolution: 64
workers: 1
render: {spp: 4, denoise: false, batch_size: 4}
scene:
  type: hands
  identities: 6
  samples_per_identity: 5
  attacks: {live_share: 0.6, source_resolution: 64, source_spp: 4}
dataset: {renders_per_shard: 30, splits: {train: 0.5, test: 0.5}}
"""


@pytest.fixture(scope="session")
def palm_eval_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny palm-scanner dataset (30 renders of 6 identities, RGB + NIR, live and attacks, 64x64, real Blender)
    for the evaluation kit (its tests write their results under DATASET/eval/, as `synthgen eval` does)."""
    folder = tmp_path_factory.mktemp("palm-eval")
    (folder / "palm-eval.yaml").write_text(PALM_EVAL_CONFIG)
    out = folder / "dataset"
    result = run_cli("render", "--config", str(folder / "palm-eval.yaml"), "--out", str(out), "--no-progress")
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="session")
def export_products_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Tiny products (64x64, spp 4, defects) spread over all three splits, for the export tests; read-only."""
    out = tmp_path_factory.mktemp("export-products") / "products"
    result = run_cli(
        "render", "--preset", "products-smoke", "--num-renders", "6", "--out", str(out), "--no-progress",
        "--set", "dataset.splits={train: 0.4, val: 0.3, test: 0.3}",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="session")
def export_hands_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Tiny hand renders (64x64, spp 4, palm camera: partly hidden keypoints) for the export tests; read-only."""
    out = tmp_path_factory.mktemp("export-hands") / "hands"
    result = run_cli("render", "--preset", "hands-smoke", "--out", str(out), "--no-progress")
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="session")
def export_held_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two tiny hand-held products renders (hand keypoints and a posed product in one image); read-only."""
    out = tmp_path_factory.mktemp("export-held") / "held"
    result = run_cli(
        "render", "--preset", "hand-held", "--num-renders", "2", "--resolution", "64", "--spp", "4",
        "--out", str(out), "--no-progress",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="session")
def products_eval_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """8 tiny product renders (64x64, defects); seed 1 splits them 4 train / 4 test (splits follow the SKUs)."""
    out = tmp_path_factory.mktemp("products-eval") / "products"
    result = run_cli(
        "render", "--preset", "products-smoke", "--num-renders", "8", "--seed", "1", "--out", str(out),
        "--no-progress", "--set", "dataset.splits={train: 0.6, test: 0.4}",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return out


# Live captures only, 4 identities x 3, small but large enough for the palm lines and veins to show: the identity
# regression test (tests/test_palm_identity.py) measures genuine / impostor separation on it.
PALM_IDENTITY_CONFIG = """preset: palm-scanner
seed: 5
resolution: 112
workers: 1
render: {spp: 4}
scene:
  type: hands
  identities: 4
  samples_per_identity: 3
  attacks: {live_share: 1.0}
dataset: {renders_per_shard: 12}
"""


@pytest.fixture(scope="session")
def palm_identity_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """12 live palm-scanner captures (4 identities x 3, RGB + NIR, 112 px, real Blender), shared read-only."""
    folder = tmp_path_factory.mktemp("palm-identity")
    (folder / "palm-identity.yaml").write_text(PALM_IDENTITY_CONFIG)
    out = folder / "dataset"
    result = run_cli("render", "--config", str(folder / "palm-identity.yaml"), "--out", str(out), "--no-progress")
    assert result.returncode == 0, result.stderr
    return out
