"""Identities a palm recognizer can learn: a small, fast version of the identity-quality measurement of
docs/identities.md, so a change to skin, lighting or realism cannot silently collapse identities (strangers as
close as one person's captures) or make them drift (one person's captures as far apart as strangers).

The bounds sit well below what the identity model reaches at this size (see the figures in docs/identities.md)
and far above chance (d' 0, EER 0.5), so noise from a changed renderer does not trip them but a lost line or
vein pattern does.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import cv2
import numpy as np
import pyarrow.parquet as pq
from PIL import Image

from synthgen.eval.palm_matcher import identity_quality
from synthgen.report import build_report

# Measured on this fixture (seed 5, 4 identities x 3, 112 px, 4 spp) with the matcher as `inspect` runs it (crop on
# the palm skin, 128 px ROI, NIR filters x2): RGB d' 1.98, NIR d' 5.81 (NIR impostor - genuine mean distance 0.207),
# RGB + NIR d' 5.22. The same renders with the previous matcher (crop on the joint centres, 64 px ROI) give NIR d'
# 2.69 (gap 0.18), RGB + NIR 2.55 and fail the NIR and fused bounds below, as a lost vein pattern or a crop that
# slides over the palm would; chance is d' 0.
BOTH_MIN_D_PRIME = 3.0
RGB_MIN_D_PRIME = 1.2
NIR_MIN_D_PRIME = 3.5
NIR_MIN_GAP = 0.15


def test_identities_neither_collapse_nor_drift(palm_identity_dataset: Path) -> None:
    quality = identity_quality(palm_identity_dataset)["modalities"]
    rgb, nir, both = quality["rgb"], quality["nir"], quality["both"]
    assert both["identities"] == 4 and both["samples"] == 12 and both["genuine_pairs"] == 12
    assert both["d_prime"] >= BOTH_MIN_D_PRIME, both
    assert rgb["d_prime"] >= RGB_MIN_D_PRIME, rgb
    assert nir["d_prime"] >= NIR_MIN_D_PRIME, nir
    assert nir["impostor_distance_mean"] - nir["genuine_distance_mean"] >= NIR_MIN_GAP, nir
    # Collapse: no two people closer than one person's typical captures; drift: no person's captures as far apart
    # as strangers typically are.
    assert not any(c["closer_than_median_genuine"] for c in both["worst"]["colliding"]), both["worst"]
    assert not any(d["beyond_median_impostor"] for d in nir["worst"]["drifting"]), nir["worst"]


def test_inspect_reports_identity_quality(palm_identity_dataset: Path, tmp_path: Path) -> None:
    folder = tmp_path / "dataset"
    shutil.copytree(palm_identity_dataset, folder)  # inspect writes its report into the dataset folder
    report = build_report(folder)
    assert report.identity is not None
    figures = report.identity.figures["modalities"]
    assert set(figures) == {"rgb", "nir"}
    expected = identity_quality(palm_identity_dataset, modalities=["rgb", "nir"])["modalities"]
    for name in ("rgb", "nir"):
        assert figures[name]["d_prime"] == expected[name]["d_prime"]
        assert f"{name} d' {expected[name]['d_prime']:.2f}" in report.text
    page = report.html.read_text()
    assert "Identity quality" in page and "aligned palm crops" in page
    assert report.identity.crops is not None and report.identity.crops.size[1] >= 4 * 96


def _image(cell: dict) -> np.ndarray:
    return np.array(Image.open(io.BytesIO(cell["bytes"])))


def test_palm_line_maps_mark_the_creases_and_veins_the_captures_show(palm_identity_dataset: Path) -> None:
    """The opt-in ground-truth maps lie on the hand, and where they mark a line the capture is locally darker: RGB
    at a crease, NIR over a vein (detail = image minus its 3 px Gaussian blur, vs the palm skin around the lines)."""
    rows = [
        row
        for path in sorted(palm_identity_dataset.glob("data/*/*.parquet"))
        for row in pq.read_table(path).to_pylist()
    ]
    assert len(rows) == 12
    for row in rows:
        mask = _image(row["mask"]) == 1
        grey = cv2.cvtColor(_image(row["image"]), cv2.COLOR_RGB2GRAY).astype(np.float32)
        nir = _image(row["nir"]).astype(np.float32)
        nir = nir[..., 0] if nir.ndim == 3 else nir
        for column, capture in (("palm_crease_map", grey), ("palm_vein_map", nir)):
            truth = _image(row[column])
            assert truth.shape == mask.shape and not (truth[~mask] > 0).any(), (row["sample_id"], column)
            line = (truth > 64) & mask
            around = (truth == 0) & mask & cv2.dilate((truth > 0).astype(np.uint8), np.ones((9, 9), np.uint8)) > 0
            assert line.sum() >= 20 and around.sum() >= 20, (row["sample_id"], column, line.sum(), around.sum())
            detail = capture - cv2.GaussianBlur(capture, (0, 0), 3)
            assert detail[line].mean() < detail[around].mean() - 2.0, (row["sample_id"], column)
