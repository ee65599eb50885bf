"""Hand identities, per-sample variation, skin colour model and palm texture maps (pure numpy, no Blender)."""

from __future__ import annotations

import copy
import itertools
import json
from typing import Any

import cv2
import numpy as np
import pytest

from synthgen.scenes.hands import skin as skin_model
from synthgen.scenes.hands.identity import (
    FINE_COUNT,
    MAX_VEIN_BRANCHES,
    PRINCIPAL_CREASES,
    PRINCIPAL_JITTER_SHARE,
    SECONDARY_COUNT,
    SHAPE_KEYS,
    bezier,
    fine_wrinkle_creases,
    sample_identity,
    sample_variation,
    varied_creases,
)
from synthgen.scenes.hands.palm_textures import (
    MAP_NAMES,
    compose_palm_albedo,
    palm_frame_from_keypoints,
    palm_roi_from_keypoints,
    palm_roi_rotated,
    pixel_to_uv,
    render_palm_maps,
    uv_to_pixel,
)

SEED = 99


@pytest.fixture(scope="module")
def population() -> list[dict[str, Any]]:
    return [sample_identity(SEED, i) for i in range(360)]


def _maps_equal(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> bool:
    return all(a[k].dtype == b[k].dtype and a[k].tobytes() == b[k].tobytes() for k in MAP_NAMES)


# ------------------------------------------------------------------------------------------ identity


def test_identity_is_deterministic_plain_json_and_order_free() -> None:
    later = [sample_identity(SEED, i) for i in (5, 4, 3)]
    a = sample_identity(SEED, 3)
    assert a == later[2] == sample_identity(SEED, 3)
    assert json.loads(json.dumps(a)) == a
    assert a["identity_id"] == 3


def test_identities_differ_in_creases_and_veins() -> None:
    a, b, c = sample_identity(SEED, 0), sample_identity(SEED, 1), sample_identity(SEED + 1, 0)
    for other in (b, c):
        assert a["creases"] != other["creases"]
        assert a["veins"] != other["veins"]
    # Principal crease shapes differ between identities by far more than the per-sample jitter (< 0.3 mm).
    heads = [np.array(next(cr["points"] for cr in x["creases"] if cr["name"] == "head")) for x in (a, b, c)]
    assert np.abs(heads[0] - heads[1]).max() > 0.05 and np.abs(heads[0] - heads[2]).max() > 0.05


def test_identity_structure(population: list[dict[str, Any]]) -> None:
    for ident in population[:120]:
        assert ident["handedness"] in ("left", "right")
        assert set(ident["shape"]) == set(SHAPE_KEYS)
        assert all(-0.5 <= v <= 0.5 for v in ident["shape"].values())
        width, length = ident["palm_size_mm"]
        assert 60 < width < 100 and 1.1 * width < length < 1.31 * width
        skin = ident["skin"]
        assert all(0.0 < c < 1.0 for c in skin["albedo_linear"] + skin["palm_albedo_linear"])
        assert 0.2 < skin["nir_albedo"] < 0.7 and 0.0 < skin["roughness"] < 1.0
        assert skin["subsurface_radius_mm"][0] > skin["subsurface_radius_mm"][1] > skin["subsurface_radius_mm"][2] > 0
        secondary = [c for c in ident["creases"] if c["kind"] == "secondary"]
        assert SECONDARY_COUNT[0] <= len(secondary) <= SECONDARY_COUNT[1]
        for c in ident["creases"]:
            pts = np.array(c["points"])
            assert pts.shape == (3, 2) and pts.min() >= 0.0 and pts.max() <= 1.0
            assert c["width_mm"] > 0 and c["depth_mm"] > 0 and 0 < c["darkness"] <= 1
        for c in secondary:
            chord_mm = np.linalg.norm((np.array(c["points"][2]) - c["points"][0]) * ident["palm_size_mm"])
            assert chord_mm <= 0.4 * width + 1e-6  # 0.08-0.4 palm widths (less where clipped at the edge)
        branches = ident["veins"]["branches"]
        assert 4 <= len(branches) <= MAX_VEIN_BRANCHES and 0 < ident["veins"]["contrast"] <= 1
        for i, br in enumerate(branches):
            assert -1 <= br["parent"] < i
            assert len(br["points"]) >= 2
            assert all(0.8 <= d <= 4.0 for d in br["depth_mm"]) and all(0.0 < r < 2.0 for r in br["radius_mm"])
        roots = [br for br in branches if br["parent"] == -1]
        assert 4 <= len(roots) <= 7 and all(br["points"][0][1] < 0.0 for br in roots)  # grown from the wrist
        assert 0 <= len(ident["marks"]) <= 3
        assert ident["nails"]["polish"] is None or len(ident["nails"]["polish"]["colour_linear"]) == 3


def test_crease_presence_rates(population: list[dict[str, Any]]) -> None:
    n = len(population)
    names = [{c["name"] for c in ident["creases"]} for ident in population]
    for name in PRINCIPAL_CREASES:
        assert sum(name in s for s in names) / n > 0.96
    assert 0.04 < sum("fate" in s for s in names) / n < 0.17


def test_principal_creases_follow_the_anatomy(population: list[dict[str, Any]]) -> None:
    """Heart line high and from the little-finger edge, head line from the thumb edge, life line to the wrist."""
    for ident in population[:100]:
        creases = {c["name"]: np.array(c["points"]) for c in ident["creases"] if c["kind"] == "principal"}
        if "heart" in creases:
            h = creases["heart"]
            assert h[0, 0] > 0.95 and h[2, 0] < 0.5 and h[2, 1] > h[0, 1] and h[:, 1].min() > 0.6
        if "head" in creases:
            assert creases["head"][0, 0] < 0.05 and creases["head"][2, 0] > 0.6
        if "life" in creases:
            life = creases["life"]
            mid = bezier(life, np.array([0.5]))[0]
            assert life[0, 0] < 0.06 and life[2, 1] < 0.1 and 0.2 < mid[0] < 0.5  # arcs round the thenar


def test_fitzpatrick_covers_all_types_with_matching_skin_colour(population: list[dict[str, Any]]) -> None:
    types = np.array([p["skin"]["fitzpatrick"] for p in population])
    counts = np.bincount(types, minlength=7)[1:]
    assert counts.min() / len(population) > 0.1 and counts.max() / len(population) < 0.24
    ita = np.array([p["skin"]["ita_deg"] for p in population])
    lum = np.array([np.dot(p["skin"]["albedo_linear"], [0.2126, 0.7152, 0.0722]) for p in population])
    means = [ita[types == t].mean() for t in range(1, 7)]
    assert all(b < a for a, b in itertools.pairwise(means))
    assert all(lum[types == t].mean() > lum[types == t + 1].mean() for t in range(1, 6))
    for t in range(1, 7):  # calibrated at 1% blood; blood 0.5-2.5% moves ITA by up to ~13 degrees
        lo, hi = skin_model.ITA_BANDS[t]
        assert np.all(ita[types == t] > lo - 15) and np.all(ita[types == t] < hi + 15)
    # Palms are lighter than the back of the hand (less melanin), most visibly for dark skin.
    palm_lum = np.array([np.dot(p["skin"]["palm_albedo_linear"], [0.2126, 0.7152, 0.0722]) for p in population])
    assert np.mean(palm_lum[types >= 5] / lum[types >= 5]) > 1.3
    # ... and never darker (type I: within 1.5 L*, where the dorsum has little melanin to lose); light palms are
    # redder (more dermal blood), dark ones much lighter.
    lab = {k: np.array([skin_model.linear_srgb_to_lab(p["skin"][k]) for p in population]) for k in
           ("albedo_linear", "palm_albedo_linear")}  # fmt: skip
    for t in range(1, 7):
        dorsum, palm = lab["albedo_linear"][types == t].mean(0), lab["palm_albedo_linear"][types == t].mean(0)
        assert palm[0] > dorsum[0] - 1.5, (t, palm, dorsum)
        if t <= 2:
            assert palm[1] > dorsum[1] + 1.0, (t, palm, dorsum)
        if t >= 4:
            assert palm[0] > dorsum[0] + 5.0, (t, palm, dorsum)


def test_skin_model_calibration() -> None:
    for t, (lo, hi) in skin_model.FITZPATRICK_MELANIN.items():
        band = skin_model.ITA_BANDS[t]
        # Band edges of melanin map onto the ITA category limits at 1% blood.
        if t > 1:
            assert abs(skin_model.ita_degrees(skin_model.skin_albedo(lo, 0.01)) - band[1]) < 0.5
        if t < 6:
            assert abs(skin_model.ita_degrees(skin_model.skin_albedo(hi, 0.01)) - band[0]) < 0.5
    light, dark = skin_model.skin_albedo(0.01, 0.01), skin_model.skin_albedo(0.4, 0.01)
    assert light[0] > light[1] > light[2] and dark[0] > dark[1] and np.all(light > dark)
    assert 0.4 < light[0] < 0.7 and dark[1] < 0.1
    assert skin_model.nir_albedo(0.01, 0.01) > skin_model.nir_albedo(0.4, 0.01) > 0.2  # NIR barely sees melanin


# ------------------------------------------------------------------------------------------ variation


def test_variation_never_changes_the_identity() -> None:
    ident = sample_identity(SEED, 7)
    frozen = copy.deepcopy(ident)
    rng = np.random.default_rng(0)
    variations = [sample_variation(ident, rng) for _ in range(5)]
    for v in variations:
        render_palm_maps(ident, v, 64)
        varied_creases(ident, v)
    assert ident == frozen == sample_identity(SEED, 7)
    for v in variations:
        assert set(v) == {"creases", "jitter_mm", "vein_contrast_scale", "skin_state"}
        assert len(v["creases"]) == len(ident["creases"])
        assert not set(v) & (set(ident) - {"creases"})
    assert sample_variation(ident, np.random.default_rng(3)) == sample_variation(ident, np.random.default_rng(3))
    assert varied_creases(ident, None) == ident["creases"]


def test_variation_jitter_is_small() -> None:
    ident = sample_identity(SEED, 8)
    width, length = ident["palm_size_mm"]
    rng = np.random.default_rng(1)
    for _ in range(20):
        v = sample_variation(ident, rng)
        # What moves between one person's captures is well under a line's width (1-1.6 mm principal lines).
        assert 0.1 <= v["jitter_mm"] <= 0.35
        offsets_mm = np.array([c["offsets"] for c in v["creases"]]) * [width, length]
        assert np.abs(offsets_mm).max() <= 2.5 * v["jitter_mm"] + 1e-3
        principal = [k for k, c in enumerate(ident["creases"]) if c["kind"] == "principal"]
        assert np.abs(offsets_mm[principal]).max() <= 2.5 * PRINCIPAL_JITTER_SHARE * v["jitter_mm"] + 1e-3
        assert 0.0 <= v["skin_state"]["moisture"] <= 1.0
        for c in v["creases"]:
            assert 0.88 <= c["width_scale"] <= 1.12 and 0.85 <= c["darkness_scale"] <= 1.15


def test_fine_wrinkles_belong_to_the_identity() -> None:
    """The fine wrinkles expand from a compact record, the same every time, never moved by a variation, and they
    are drawn into the crease map (faint: below the principal lines' darkness)."""
    ident = sample_identity(SEED, 3)
    fine = fine_wrinkle_creases(ident)
    assert FINE_COUNT[0] <= len(fine) <= FINE_COUNT[1] and fine == fine_wrinkle_creases(sample_identity(SEED, 3))
    assert fine != fine_wrinkle_creases(sample_identity(SEED, 4))
    assert all(c["kind"] == "fine" and 0 < c["darkness"] < 0.4 and c["width_mm"] < 0.6 for c in fine)
    without = {**ident, "fine_wrinkles": None}
    assert fine_wrinkle_creases(without) == []
    dark = render_palm_maps(ident, None, 256)["crease_darkening"]
    dark_without = render_palm_maps(without, None, 256)["crease_darkening"]
    assert (dark > dark_without + 0.05).mean() > 0.01  # a visible share of the palm gains texture


# ------------------------------------------------------------------------------------------ maps


def test_maps_shape_dtype_range_and_determinism() -> None:
    ident = sample_identity(SEED, 2)
    var = sample_variation(ident, np.random.default_rng(4))
    maps = render_palm_maps(ident, var, 256)
    assert set(maps) == set(MAP_NAMES)
    for name, arr in maps.items():
        assert arr.dtype == np.float32 and arr.shape[:2] == (256, 256), name
        assert np.all(np.isfinite(arr))
    assert maps["marks"].shape == (256, 256) and maps["marks_rgba"].shape == (256, 256, 4)
    assert maps["crease_darkening"].min() >= 0.0 and maps["crease_darkening"].max() <= 1.0
    assert maps["crease_darkening"].max() > 0.3
    assert maps["crease_height"].max() <= 0.0 and maps["crease_height"].min() < -0.1
    assert maps["vein_nir"].min() >= 0.0 and 0.05 < maps["vein_nir"].max() <= 1.0
    assert maps["marks"].min() >= -1.0 and maps["marks"].max() <= 1.0
    assert maps["marks_rgba"].min() >= 0.0 and maps["marks_rgba"].max() <= 1.0
    assert _maps_equal(maps, render_palm_maps(ident, var, 256))
    assert _maps_equal(render_palm_maps(sample_identity(SEED, 2), None, 128), render_palm_maps(ident, None, 128))
    assert not _maps_equal(maps, render_palm_maps(ident, sample_variation(ident, np.random.default_rng(5)), 256))
    albedo = compose_palm_albedo(ident, maps)
    assert albedo.shape == (256, 256, 3) and albedo.dtype == np.float32
    assert np.all(albedo <= np.array(ident["skin"]["palm_albedo_linear"]) + 1e-4) or ident["marks"]


def test_creases_are_where_the_bezier_says() -> None:
    size = 256
    for ident_id in range(6):
        ident = sample_identity(SEED, ident_id)
        maps = render_palm_maps(ident, None, size)
        dark = maps["crease_darkening"]
        palm_mm = np.array(ident["palm_size_mm"])
        every = [*ident["creases"], *fine_wrinkle_creases(ident)]
        all_pts = np.concatenate([bezier(c["points"], np.linspace(0, 1, 400)) for c in every])
        for c in ident["creases"]:
            if c["kind"] != "principal":
                continue
            for t in (0.35, 0.5, 0.65):
                x, y = np.round(uv_to_pixel(bezier(c["points"], np.array([t]))[0], size)).astype(int)
                assert dark[y, x] > 0.5 * c["darkness"], (ident_id, c["name"], t)
                assert maps["crease_height"][y, x] < -0.4 * c["depth_mm"]
        # Far (> 4 mm) from every crease the skin is untouched (distances in pixels, converted conservatively).
        mask = np.full((size, size), 255, np.uint8)
        xy = np.round(uv_to_pixel(all_pts, size)).astype(int).clip(0, size - 1)
        mask[xy[:, 1], xy[:, 0]] = 0
        dist_px = cv2.distanceTransform(mask, cv2.DIST_L2, 5)
        far = dist_px > 4.0 * (size / palm_mm.min()) + 1.0
        assert far.any() and dark[far].max() < 0.02


def test_map_orientation_with_a_single_crease() -> None:
    """One horizontal crease at v = 0.8 from u = 0.1 to 0.5: rows near 0.2 size, left half of the image."""
    ident = sample_identity(SEED, 0)
    ident = {**ident, "marks": [], "veins": {"contrast": 0.8, "branches": []}, "fine_wrinkles": None}
    ident["creases"] = [
        {"name": "test", "kind": "principal", "points": [[0.1, 0.8], [0.3, 0.8], [0.5, 0.8]],
         "width_mm": 1.0, "depth_mm": 0.3, "darkness": 0.5, "taper": [0.0, 0.0]},
    ]  # fmt: skip
    size = 200
    maps = render_palm_maps(ident, None, size)
    rows, cols = np.nonzero(maps["crease_darkening"] > 0.25)
    assert abs(rows.mean() - 0.2 * size) < 1.5
    assert 0.1 * size - 2 <= cols.min() and cols.max() <= 0.5 * size + 2
    assert maps["vein_nir"].max() == 0.0
    assert np.allclose(pixel_to_uv(uv_to_pixel([[0.1, 0.8], [0.9, 0.05]], size), size), [[0.1, 0.8], [0.9, 0.05]])
    assert np.allclose(uv_to_pixel([0.0, 1.0], size), [-0.5, -0.5])  # corner of the top-left pixel


def test_veins_darken_along_thick_branches_and_marks_show() -> None:
    size = 256
    ident = sample_identity(SEED, 11)
    maps = render_palm_maps(ident, None, size)
    vein = maps["vein_nir"]
    for br in ident["veins"]["branches"]:
        if br["parent"] != -1 or min(br["radius_mm"]) < 0.7:
            continue
        pts = np.array(br["points"])
        inside = pts[(pts.min(axis=1) > 0.05) & (pts.max(axis=1) < 0.95)]
        if len(inside) < 3:
            continue
        x, y = np.round(uv_to_pixel(inside[len(inside) // 2], size)).astype(int)
        assert vein[y, x] > 0.1
    mole = {"kind": "mole", "center": [0.5, 0.5], "radius_mm": 1.5, "length_mm": 0.0, "angle_deg": 0.0,
            "colour_linear": [0.1, 0.05, 0.03], "opacity": 1.0}  # fmt: skip
    maps = render_palm_maps({**ident, "marks": [mole]}, None, size)
    marks = maps["marks_rgba"]
    x, y = np.round(uv_to_pixel([0.5, 0.5], size)).astype(int)
    assert marks[y, x, 3] > 0.8 and np.allclose(marks[y, x, :3], mole["colour_linear"], atol=1e-3)
    assert marks[0, 0, 3] == 0.0 and maps["marks"][0, 0] == 0.0
    assert maps["marks"][y, x] > 0.6  # a dark mole darkens the albedo


# ------------------------------------------------------------------------------------------ keypoints


def _upright_keypoints() -> np.ndarray:
    kp = np.zeros((21, 2))
    kp[0] = (100, 200)
    kp[5], kp[9], kp[13], kp[17] = (70, 100), (90, 96), (110, 98), (130, 100)
    return kp


def test_palm_roi_from_keypoints() -> None:
    kp = _upright_keypoints()
    # MCP line 60 px wide, 100 px to the wrist -> side max(60, 75) = 75, hanging from the MCP midpoint (100, 100).
    assert palm_roi_from_keypoints(kp) == pytest.approx([62.5, 100.0, 137.5, 175.0])
    centre, side, angle = palm_roi_rotated(kp)
    assert side == pytest.approx(75.0) and angle == pytest.approx(-90.0)  # fingers point up the image
    # Rotating the hand in the image keeps the square's size and rotates its centre with it.
    theta = np.radians(30)
    rot = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    c2, s2, a2 = palm_roi_rotated((kp - 100) @ rot.T + 100)
    assert s2 == pytest.approx(side) and np.allclose(c2, rot @ (centre - 100) + 100)
    assert a2 == pytest.approx(-60.0)
    with pytest.raises(ValueError):
        palm_roi_from_keypoints(kp[:20])


def test_palm_frame_from_keypoints_for_both_hands() -> None:
    # The asset's canonical frame: wrist at 0, fingers +Y, palm facing -Z; right thumb at -X, left thumb at +X.
    right = np.zeros((21, 3))
    right[5], right[9], right[17] = (-0.03, 0.09, 0.0), (0.0, 0.095, 0.0), (0.035, 0.085, 0.0)
    left = right * [-1, 1, 1]
    for kp, side in ((right, "right"), (left, "left")):
        frame = palm_frame_from_keypoints(kp, side)
        assert np.allclose(frame["normal"], [0, 0, -1], atol=1e-9)
        assert np.allclose(frame["v_axis"], [0, 1, 0], atol=0.1)
        assert frame["u_axis"][0] * (1 if side == "right" else -1) > 0.99
    with pytest.raises(ValueError):
        palm_frame_from_keypoints(right, "both")
