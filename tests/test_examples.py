"""examples/ still run against the current loaders (one tiny epoch on a fake dataset)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from tests.conftest import REPO
from tests.fake_dataset import hand_rows, object_rows, write_fake_dataset


def _example(name: str) -> ModuleType:
    """Imports examples/NAME.py (examples are scripts, not a package); skips without torch."""
    pytest.importorskip("torch")
    spec = importlib.util.spec_from_file_location(name, REPO / "examples" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_train_detector_runs_an_epoch_and_reports_iou(tmp_path: Path) -> None:
    module = _example("train_detector")
    folder = write_fake_dataset(tmp_path / "objects", object_rows(25))
    metrics = module.main([str(folder), "--epochs", "1", "--size", "32", "--workers", "0", "--test-split", "test"])
    assert metrics["samples"] == 5 and 0.0 <= metrics["mean_iou"] <= 1.0


def test_train_keypoints_runs_an_epoch_and_reports_pck(tmp_path: Path) -> None:
    module = _example("train_keypoints")
    folder = write_fake_dataset(tmp_path / "hands", hand_rows(25, identities=5))
    metrics = module.main([str(folder), "--epochs", "1", "--size", "32", "--workers", "0", "--test-split", "test"])
    assert metrics["visible_keypoints"] > 0 and 0.0 <= metrics["pck@0.2"] <= 1.0


def test_train_spoof_runs_an_epoch_and_reports_roc_auc(tmp_path: Path) -> None:
    module = _example("train_spoof")
    folder = write_fake_dataset(tmp_path / "palms", hand_rows(30, identities=5, attacks=True))
    metrics = module.main([str(folder), "--epochs", "1", "--size", "32", "--workers", "0", "--test-split", "test"])
    assert metrics["attacks"] > 0 and metrics["samples"] > metrics["attacks"]
    assert 0.0 <= metrics["roc_auc"] <= 1.0 and 0.0 <= metrics["roc_auc_print"] <= 1.0


def test_roc_auc_matches_its_definition() -> None:
    roc_auc = _example("train_spoof").roc_auc
    labels = np.array([0, 0, 1, 1, 0, 1])
    assert roc_auc(np.array([0.1, 0.2, 0.8, 0.9, 0.3, 0.7]), labels) == 1.0
    assert roc_auc(np.array([0.9, 0.8, 0.1, 0.2, 0.7, 0.3]), labels) == 0.0
    assert roc_auc(np.array([0.5, 0.5, 0.5, 0.5, 0.5, 0.5]), labels) == 0.5
    # attacks 0.4, 0.9, 0.35 against live 0.2, 0.6, 0.3: they win 2, 3 and 2 of their 3 pairs
    assert roc_auc(np.array([0.2, 0.6, 0.4, 0.9, 0.3, 0.35]), labels) == (2 + 3 + 2) / 9
