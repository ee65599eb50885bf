"""Presentation attacks without Blender: the attack mix, victims and source captures in the sampler, the printer's
halftone / dither / colour processing, the paper sheet's geometry and the attack label columns."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest

from synthgen.config import load_config
from synthgen.errors import UsageError
from synthgen.pipeline.rows import attack_params_json
from synthgen.pipeline.specs import sample_spec
from synthgen.scenes.hands.attacks.print_process import (
    am_screen,
    apply_colour_shift,
    fm_dither,
    nir_reflectance,
    printed_textures,
    screened_inks,
)
from synthgen.scenes.hands.attacks.sheet import sheet_points

NEUTRAL_SHIFT = {"gain": [1.0, 1.0, 1.0], "saturation": 1.0, "gamma": 1.0, "black_level": 0.0}


def _palm_config(**overrides: object):
    return load_config(
        "palm-scanner", overrides={"scene.identities": 60, "scene.samples_per_identity": 10, **overrides}
    )


def test_palm_scanner_mixes_about_a_third_attacks_by_weight() -> None:
    config = _palm_config(num_renders=600)
    kinds = Counter(sample_spec(config, i)["attack_type"] for i in range(600))
    assert 0.28 < 1 - kinds[None] / 600 < 0.38
    for name in ("print", "screen", "silicone", "cutout"):
        assert 25 < kinds[name] < 75, kinds  # equal weights: about 50 each


def test_type_weights_and_the_default_scene_without_attacks() -> None:
    only_screens = _palm_config(num_renders=100, **{"scene.attacks.types": {"screen": 1.0}})
    kinds = Counter(sample_spec(only_screens, i)["attack_type"] for i in range(100))
    assert set(kinds) == {None, "screen"}
    hands = load_config("hands", overrides={"num_renders": 50})
    assert all(sample_spec(hands, i)["is_live"] for i in range(50))
    with pytest.raises(UsageError, match=r"scene\.attacks\.types: unknown attack types"):
        load_config("palm-scanner", overrides={"scene.attacks.types": {"mask": 1.0}})
    with pytest.raises(UsageError, match=r"scene\.attacks\.live_share"):
        load_config("palm-scanner", overrides={"scene.attacks.live_share": 1.5})


def test_an_attack_copies_its_victim_in_the_same_scene_as_a_live_sample() -> None:
    attacked = _palm_config(num_renders=200)
    live = _palm_config(num_renders=200, **{"scene.attacks.live_share": 1.0})
    seen = set()
    for index in range(200):
        spec, plain = sample_spec(attacked, index), sample_spec(live, index)
        for key in ("camera", "lighting", "background", "identity", "identity_id", "split_group", "variation"):
            assert spec[key] == plain[key], key  # attacks never shift the scene draws
        if spec["attack_type"] is None:
            continue
        seen.add(spec["attack_type"])
        assert spec["is_live"] is False and spec["identity_id"] == plain["identity_id"]
        params = spec["attack_params"]
        if spec["attack_type"] == "silicone":
            joints = np.abs([a for angles in spec["hand"]["pose"]["joints"].values() for a in angles])
            assert joints.max() <= 0.3 * 90  # a cast barely bends
        else:
            source = params["source"]
            assert source["identity_id"] == spec["identity_id"] and source["identity"] == spec["identity"]
            assert source["hand"]["pose"]["family"] == "open_palm" and source["camera"]["mode"] == "palm"
            assert source["nir"]["enabled"] == params.get("from_nir", False)
            assert source["render"]["resolution"] == [256, 256]
    assert seen == {"print", "screen", "silicone", "cutout"}


def test_a_victims_source_capture_is_the_same_for_all_its_attacks() -> None:
    config = _palm_config(num_renders=600)
    sources: dict[tuple[int, bool], dict] = {}
    for index in range(600):
        spec = sample_spec(config, index)
        source = (spec["attack_params"] or {}).get("source")
        if source is None:
            continue
        key = (spec["identity_id"], source["nir"]["enabled"])
        assert sources.setdefault(key, source) == source
    assert len({json.dumps(s, sort_keys=True) for s in sources.values()}) == len(sources) > 20


@pytest.mark.parametrize("coverage", [0.1, 0.35, 0.7])
def test_halftone_and_dither_keep_the_ink_coverage(coverage: float) -> None:
    flat = np.full((200, 200), coverage, np.float32)
    assert am_screen(flat, 5.0, 15.0).mean() == pytest.approx(coverage, abs=0.04)
    dots = fm_dither(flat, np.random.default_rng(1))
    assert dots.mean() == pytest.approx(coverage, abs=0.01)
    assert set(np.unique(dots)) <= {0.0, 1.0}


def test_halftone_is_a_periodic_dot_screen_and_dither_is_not() -> None:
    flat = np.full((120, 120), 0.3, np.float32)
    dots = am_screen(flat, 6.0, 0.0)
    assert np.array_equal(dots[:, :-6], dots[:, 6:])  # a 0-degree screen repeats every cell
    noise = fm_dither(flat, np.random.default_rng(2))
    assert not np.array_equal(noise[:, :-6], noise[:, 6:])


def test_colour_shift_casts_desaturates_and_lifts_black() -> None:
    rgb = np.array([[[0.9, 0.2, 0.1], [0.0, 0.0, 0.0]]])
    assert np.allclose(apply_colour_shift(rgb, NEUTRAL_SHIFT), rgb)
    shifted = apply_colour_shift(rgb, {"gain": [1.0, 1.1, 1.0], "saturation": 0.5, "gamma": 1.0, "black_level": 0.05})
    assert shifted[0, 1].min() == pytest.approx(0.05)
    assert np.ptp(shifted[0, 0]) < np.ptp(rgb[0, 0])


def test_laser_toner_is_dark_in_nir_and_dye_ink_is_not() -> None:
    dark = np.full((60, 60, 3), 0.1)
    laser = nir_reflectance(screened_inks(dark, "laser", 0), "laser").mean()
    inkjet = nir_reflectance(screened_inks(dark, "inkjet", 0), "inkjet").mean()
    assert laser < 0.4 < 0.7 < inkjet


def test_printed_textures_frame_the_photo_with_paper_and_cut_the_outline() -> None:
    photo = np.zeros((32, 32, 3), np.uint8)
    photo[8:24, 8:24] = (200, 150, 120)
    params = {"colour_shift": NEUTRAL_SHIFT, "method": "laser", "dither_seed": 3, "paper_tint": [0.95, 0.95, 0.9]}
    albedo, nir = printed_textures(photo, params, raster_px=128, margin_px=10)
    assert albedo.shape == (148, 148, 4) and nir.shape == (148, 148)
    assert np.allclose(albedo[:10, :, :3], [0.95, 0.95, 0.9])  # bare paper in the margin
    assert albedo[20:40, 20:40, :3].mean() < 0.2 < albedo[70:80, 70:80, :3].mean()
    mask = np.zeros((32, 32), bool)
    mask[8:24, 8:24] = True
    cut, _ = printed_textures(photo, params, raster_px=128, margin_px=0, cut=mask)
    assert cut[64, 64, 3] == 1.0 and cut[5, 5, 3] == 0.0 and cut[:, :, 3].mean() == pytest.approx(0.25, abs=0.08)


def test_a_bent_sheet_keeps_its_size_along_the_paper() -> None:
    flat = {"bend_axis_deg": 90.0, "curvature_per_m": 0.0, "corner_lift_m": [0.0] * 4}
    corners = sheet_points(np.array([[0, 0], [1, 1]]), 0.2, 0.1, flat)
    assert np.allclose(corners, [[-0.1, -0.05, 0], [0.1, 0.05, 0]])
    bent = {**flat, "curvature_per_m": 10.0}
    line = sheet_points(np.stack([np.linspace(0, 1, 200), np.full(200, 0.5)], axis=1), 0.2, 0.1, bent)
    arc = np.linalg.norm(np.diff(line, axis=0), axis=1).sum()
    assert arc == pytest.approx(0.2, rel=1e-3)  # paper does not stretch
    assert np.ptp(line[:, 2]) > 0.01 and abs(line[100, 2]) < 1e-3  # edges rise, the middle stays put


def test_attack_params_column_carries_the_worker_digest() -> None:
    assert attack_params_json({"attack_params": None}, "abc") is None
    row = json.loads(attack_params_json({"attack_params": {"paper": "matte"}}, "abc"))
    assert row == {"paper": "matte", "source_image_sha256": "abc"}


def test_most_prints_cutouts_and_devices_are_held_by_a_pinch() -> None:
    config = _palm_config(num_renders=600)
    held: dict[str, list[bool]] = {}
    for index in range(600):
        spec = sample_spec(config, index)
        if spec["attack_type"] in ("print", "cutout", "screen"):
            holder = spec["attack_params"]["holder"]
            held.setdefault(spec["attack_type"], []).append(holder is not None)
            if holder:
                assert holder["pose"]["family"] == "pinch" and 0.25 <= holder["edge_position"] <= 0.75
    for name, flags in held.items():
        assert 0.5 < np.mean(flags) < 0.9, name  # held_share 0.7
