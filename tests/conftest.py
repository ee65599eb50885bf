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
labels: {palm_lines: true}  # the ground-truth crease and vein maps (tests/test_palm_identity.py)
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


# A tiny mixed job: palm-scanner captures (RGB + NIR, half attacks), hands in rooms with an occluder in front of
# every one, and products on a shelf; 6 renders of 64x64 at 4 spp.
MIXED_CONFIG = """seed: 2
num_renders: 6
resolution: 64
workers: 1
render: {spp: 4, denoise: false, batch_size: 3}
scene:
  type: mix
  parts:
    palm:
      share: 2
      preset: hands-smoke
      scene: {attacks: {live_share: 0.5, source_resolution: 64, source_spp: 4}}
    hands:
      share: 2
      preset: hands
      scene:
        identities: 4
        samples_per_identity: 1
        environment: {settings: {office: 1, kitchen: 1}, occluder_share: 1.0, occluder_cover: [0.3, 0.45]}
    shelf:
      share: 1
      preset: products-smoke
      scene: {layouts: {shelf: 1, tabletop: 0, conveyor: 0}}
dataset: {renders_per_shard: 3, row_group_rows: 3}
"""


@pytest.fixture(scope="session")
def mixed_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny mixed dataset (scene.type: mix, hand and product rows side by side), real Blender; read-only."""
    folder = tmp_path_factory.mktemp("mixed")
    (folder / "mixed.yaml").write_text(MIXED_CONFIG)
    out = folder / "dataset"
    result = run_cli("render", "--config", str(folder / "mixed.yaml"), "--out", str(out), "--no-progress")
    assert result.returncode == 0, result.stderr
    return out
