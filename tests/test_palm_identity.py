"""Identities a palm recognizer can learn: a small, fast version of the identity-quality measurement of
docs/identities.md, so a change to skin, lighting or realism cannot silently collapse identities (strangers as
close as one person's captures) or make them drift (one person's captures as far apart as strangers).

The bounds sit well below what the identity model reaches at this size (see the figures in docs/identities.md)
and far above chance (d' 0, EER 0.5), so noise from a changed renderer does not trip them but a lost line or
vein pattern does.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from synthgen.eval.palm_matcher import identity_quality
from synthgen.report import build_report

NIR_MIN_D_PRIME = 2.0
NIR_MAX_EER = 0.2
RGB_MIN_D_PRIME = 1.5


def test_identities_separate_in_nir_and_rgb(palm_identity_dataset: Path) -> None:
    quality = identity_quality(palm_identity_dataset, modalities=["rgb", "nir"])["modalities"]
    nir, rgb = quality["nir"], quality["rgb"]
    assert nir["identities"] == 4 and nir["samples"] == 12 and nir["genuine_pairs"] == 12
    assert nir["d_prime"] >= NIR_MIN_D_PRIME and nir["eer"] <= NIR_MAX_EER, nir
    assert rgb["d_prime"] >= RGB_MIN_D_PRIME, rgb
    # One person's captures are closer to each other than to anyone else's, on average, for every identity.
    assert not any(d["beyond_median_impostor"] for d in nir["worst"]["drifting"])
    assert nir["genuine_distance_mean"] < nir["impostor_distance_mean"] - 2 * nir["genuine_distance_std"]


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
