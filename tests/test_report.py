"""synthgen inspect: the HTML report, its charts and contact sheets, and the warnings on doctored data."""

from __future__ import annotations

from pathlib import Path

from synthgen.report import Report, build_report
from tests.conftest import run_cli
from tests.fake_dataset import fake_row, hand_rows, object_rows, write_fake_dataset


def _titles(report: Report) -> dict[str, int]:
    return {finding.title: finding.count for finding in report.findings}


def test_a_clean_dataset_gets_a_self_contained_report_without_errors(tmp_path: Path) -> None:
    folder = write_fake_dataset(tmp_path / "clean", hand_rows(30, 5, variants=1, attacks=True))
    report = build_report(folder, samples=6)
    assert not [f for f in report.findings if f.severity == "error"], report.text
    page = report.html.read_text()
    assert report.html == folder / "report" / "index.html"
    # One contact sheet (the hand kind) and the identity-quality section's aligned palm crops (a palm dataset).
    assert page.count("data:image/png;base64,") == 2 and "near infrared" in page and "Identity quality" in page
    assert page.count("<svg") >= 8 and "attack types (rows)" in page and "camera elevation" in page
    assert "<td>train</td>" in page
    assert (folder / "contact_sheet.png").stat().st_size > 1000


def test_doctored_labels_raise_each_warning(tmp_path: Path) -> None:
    rows = hand_rows(30, 5)
    rows[0]["instances"] = []  # an empty mask
    rows[1]["bbox"] = [-5.0, 2.0, 20.0, 20.0]  # a box outside the image
    rows[2]["keypoints_2d"] = [[1.0, 1.0]] * 21  # on the background, visible
    rows[3]["keypoints_2d"] = [[40.0, 5.0]] * 21  # outside the 32 px image
    rows[4]["split"] = "train"  # identity 4 (test) now has a render in train too
    rows.append(fake_row(30, 0, "train", "hand", identity_id=99))  # an identity with a single render
    folder = write_fake_dataset(tmp_path / "doctored", rows)
    report = build_report(folder, samples=4)
    titles = _titles(report)
    assert titles["empty masks (no labelled pixel)"] == 1
    assert titles["boxes outside the image (or empty)"] == 1
    assert titles["visible keypoints outside the mask"] == 1
    assert titles["visible keypoints outside the image"] == 1
    assert titles["identities in more than one split"] == 1
    assert titles["identities with fewer than 5 renders"] == 1
    page = report.html.read_text()
    assert "identities in more than one split" in page and "s0-r00000002-a000" in page
    assert "boxes outside the image" in report.text


def test_inspect_prints_the_summary_and_the_report_path(tmp_path: Path) -> None:
    folder = write_fake_dataset(tmp_path / "objects", object_rows(6), complete=False)
    result = run_cli("inspect", str(folder), "--samples", "4")
    assert result.returncode == 0, result.stderr
    output = " ".join((result.stdout + result.stderr).split())  # rich wraps long lines
    assert "6 rows" in output and "report" in output and "has not finished" in output
    assert (folder / "report" / "index.html").is_file()
    assert run_cli("inspect", str(tmp_path / "nothing")).returncode == 2


def test_count_axes_read_whole_numbers() -> None:
    from synthgen.report.svg_charts import bar_svg, count_ticks

    assert count_ticks(1) == [0, 1] and count_ticks(3) == [0, 1, 2, 3] and count_ticks(9) == [0, 5, 10]
    for peak in range(1, 3000, 7):
        ticks = count_ticks(peak)
        assert ticks[0] == 0 and ticks[-1] >= peak and len(ticks) <= 5 and len(set(ticks)) == len(ticks)
    svg = bar_svg({"print": 1, "screen": 1}, "attack types")
    assert 'text-anchor="end">0<' in svg and 'text-anchor="end">1<' in svg and svg.count('text-anchor="end">0<') == 1


def test_sheet_captions_name_kind_and_attack_and_depth_has_a_scale(tmp_path: Path) -> None:
    import numpy as np
    from PIL import Image

    from synthgen.report.sheets import sample_caption, sample_tiles

    assert sample_caption({"sample_id": "s1", "kind": "hand", "is_live": False, "attack_type": "print"}) == (
        "s1 hand ATTACK print",
        True,
    )
    assert sample_caption({"sample_id": "s2", "kind": "hand", "is_live": True, "attack_type": None}) == (
        "s2 hand live",
        False,
    )
    row = hand_rows(2, 1, attacks=True)[0]
    plain = dict(row, depth={"bytes": row["depth"]["bytes"]})
    tiles = sample_tiles(plain, with_nir=False)
    depth = np.asarray(tiles[2].convert("RGB"))
    bar = depth[20:-20, -7]  # the colour bar: red at the top (near), blue at the bottom (far)
    assert bar[0, 0] > bar[0, 2] and bar[-1, 2] > bar[-1, 0]
    assert isinstance(tiles[0], Image.Image)


def test_the_light_type_chart_counts_sky_lighting() -> None:
    from synthgen.report.stats import Distributions, _lighting

    out = Distributions()
    _lighting({"lighting": {"world": {"strength": 1.0, "sky": {"enabled": True}}, "lights": [{"type": "AREA"}]}}, out)
    _lighting({"lighting": {"world": {"strength": 1.0, "sky": {"enabled": False}}, "lights": []}}, out)
    assert dict(out.categorical["light type"]) == {"AREA": 1, "SKY": 1}
