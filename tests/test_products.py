"""Products without Blender: SKU identities, EAN-13 barcodes in the artwork, layouts, splits and config."""

from __future__ import annotations

import itertools

import cv2
import numpy as np
import pytest

from synthgen.config import load_config
from synthgen.errors import UsageError
from synthgen.pipeline.specs import sample_spec
from synthgen.scenes.products import ean13
from synthgen.scenes.products.artwork import Atlas, draw_atlas
from synthgen.scenes.products.defects import DEFECT_TYPES, deform, eligible_types, sample_defect
from synthgen.scenes.products.geometry import box_corners, product_mesh
from synthgen.scenes.products.identity import FAMILIES, sample_sku
from synthgen.splits import assign_split


def decode_barcode(atlas: Atlas) -> str:
    """Reads the atlas' barcode with OpenCV as a camera would see it (a little optical blur)."""
    x0, y0, x1, y1 = atlas.barcode_box
    crop = np.ascontiguousarray(atlas.pixels[y0:y1, x0:x1, :3])
    if atlas.barcode_turned:
        crop = np.ascontiguousarray(np.rot90(crop, -1))
    crop = cv2.copyMakeBorder(crop, 40, 40, 40, 40, cv2.BORDER_CONSTANT, value=(255, 255, 255))
    detector = cv2.barcode.BarcodeDetector()
    for sigma in (0.7, 1.0, 0.5, 1.2):
        text = detector.detectAndDecode(cv2.GaussianBlur(crop, (0, 0), sigma))[0]
        if text:
            return text
    return ""


def test_check_digit_matches_gs1() -> None:
    assert ean13.check_digit("400638133393") == 1
    assert ean13.check_digit("590123412345") == 7
    assert ean13.is_valid("4006381333931") and not ean13.is_valid("4006381333932")
    assert len(ean13.modules("4006381333931")) == 95


def test_the_same_seed_gives_the_same_skus() -> None:
    assert [sample_sku(7, i) for i in range(10)] == [sample_sku(7, i) for i in range(10)]
    assert [sample_sku(7, i) for i in range(10)] != [sample_sku(8, i) for i in range(10)]
    families = {sample_sku(0, i)["family"] for i in range(60)}
    assert families == set(FAMILIES)


@pytest.mark.parametrize("sku_id", range(14))
def test_artwork_barcodes_decode_to_their_digits(sku_id: int) -> None:
    sku = sample_sku(0, sku_id)
    code = sku["artwork"]["barcode"]
    assert ean13.is_valid(code)
    atlas = draw_atlas(sku)
    assert atlas.pixels.shape == (1024, 1024, 4)
    decoded = decode_barcode(atlas)
    assert decoded == code and ean13.check_digit(decoded[:12]) == int(decoded[12])


def test_artwork_is_deterministic() -> None:
    sku = sample_sku(3, 5)
    np.testing.assert_array_equal(draw_atlas(sku).pixels, draw_atlas(sku).pixels)


def _overlap(a: np.ndarray, b: np.ndarray) -> bool:
    """Separating-axis test of two convex polygons (k, 2), a shared edge or a gap counts as apart."""
    for poly in (a, b):
        for i in range(len(poly)):
            edge = poly[(i + 1) % len(poly)] - poly[i]
            axis = np.array([-edge[1], edge[0]])
            pa, pb = a @ axis, b @ axis
            if pa.max() <= pb.min() + 1e-9 or pb.max() <= pa.min() + 1e-9:
                return False
    return True


@pytest.mark.parametrize("layout", ["tabletop", "shelf", "conveyor"])
def test_sampled_placements_never_interpenetrate(layout: str) -> None:
    config = load_config(overrides={"scene": {"type": "products", "layouts": {layout: 1.0}, "defects": {"rate": 0.5}}})
    for index in range(8):
        spec = sample_spec(config, index)
        boxes = []
        for item in spec["products"]:
            m = np.array(item["matrix_world"])
            world = box_corners(*item["bounds_local"]) @ m[:3, :3].T + m[:3, 3]
            boxes.append(world)
        for a, b in itertools.combinations(boxes, 2):
            apart_in_z = a[:, 2].max() <= b[:, 2].min() + 1e-6 or b[:, 2].max() <= a[:, 2].min() + 1e-6
            footprint_a, footprint_b = a[[0, 1, 3, 2], :2], b[[0, 1, 3, 2], :2]  # the bottom face, in order
            assert apart_in_z or not _overlap(footprint_a, footprint_b), f"render {index}: products overlap"
        for world in boxes:  # every product stands on its support, none sinks into it
            assert world[:, 2].min() >= -1e-6


def test_a_held_product_and_its_hand_share_one_split() -> None:
    config = load_config("hand-held", overrides={"num_renders": 40})
    ratios = dict(config.dataset.splits)
    splits_of_identity: dict[int, set[str]] = {}
    for index in range(config.num_renders):
        spec = sample_spec(config, index)
        split = assign_split(config.seed, spec["split_group"], ratios)
        assert assign_split(config.seed, f"identity:{spec['identity_id']}", ratios) == split
        splits_of_identity.setdefault(spec["identity_id"], set()).add(split)
    assert all(len(s) == 1 for s in splits_of_identity.values())
    assert len(set().union(*splits_of_identity.values())) > 1  # not one split for everything


def test_a_scene_draws_its_skus_from_one_split() -> None:
    config = load_config(overrides={"scene": {"type": "products", "skus": 40}})
    ratios = dict(config.dataset.splits)
    for index in range(12):
        spec = sample_spec(config, index)
        assert spec["split_group"] == f"sku:{spec['sku_id']}"
        assert spec["products"][0]["sku_id"] == spec["sku_id"] and spec["products"][0]["instance_id"] == 1
        splits = {assign_split(config.seed, f"sku:{p['sku_id']}", ratios) for p in spec["products"]}
        assert len(splits) == 1


def test_defects_move_only_vertices_inside_their_region() -> None:
    rng = np.random.default_rng(0)
    weights = dict.fromkeys(DEFECT_TYPES, 1.0)
    for sku_id in range(30):
        sku = sample_sku(0, sku_id)
        mesh = product_mesh(sku)
        defect = sample_defect(rng, sku, mesh, weights)
        assert defect["type"] in eligible_types(sku)
        moved = np.linalg.norm(deform(mesh, defect, sku) - mesh.array(), axis=1) > 1e-9
        if defect["type"] in ("dent", "crushed_corner"):
            a, b = np.array(defect["a"]), np.array(defect["b"])
            dist = np.minimum(np.linalg.norm(mesh.array() - a, axis=1), np.linalg.norm(mesh.array() - b, axis=1))
            assert (dist[moved] < defect["radius"]).all()


def test_bad_product_config_names_the_field() -> None:
    with pytest.raises(UsageError, match=r"scene\.defects\.types"):
        load_config(overrides={"scene": {"type": "products", "defects": {"types": {"melted": 1.0}}}})
    with pytest.raises(UsageError, match=r"scene\.families"):
        load_config(overrides={"scene": {"type": "products", "families": {"shelf": 1.0}}})
    with pytest.raises(UsageError, match=r"scene\.layouts"):
        load_config(overrides={"scene": {"type": "products", "layouts": {"tabletop": 0.0}}})


def test_pack_units_fit_the_family_and_size() -> None:
    from synthgen.scenes.products.identity import net_amount, sample_sku

    for family in ("carton", "pouch", "jar"):
        for sku_id in range(30):
            sku = sample_sku(3, sku_id, {family: 1.0})
            assert sku["artwork"]["amount"].split()[1] in ("g", "kg"), sku["artwork"]  # no "750 ml" cereal box
    assert net_amount("can", "Cola", [0.066, 0.066, 0.115]) == "330 ml"
    assert net_amount("bottle", "Extra Olive Oil", [0.08, 0.08, 0.3]) == "1 L"
    assert net_amount("carton", "Oat Flakes", [0.19, 0.07, 0.28]) == "800 g"


def test_hand_held_rows_name_the_surface_seen() -> None:
    config = load_config("hand-held", overrides={"num_renders": 12})
    for index in range(12):
        spec = sample_spec(config, index)
        assert spec["surface"] == spec["background"].get("surface")
        assert spec["grip"]["type"] in ("power", "pinch", "support")


def _in_frame(spec: dict, points: np.ndarray, resolution: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """Pixel coordinates and in-front flags of world points seen by the spec's camera."""
    from synthgen.scenes.common.camera_math import blender_to_opencv_pose, intrinsics, look_at, project_points

    cam = spec["camera"]
    pose = look_at(np.array(cam["location"]), np.array(cam["look_at"]), cam["roll_deg"])
    K = intrinsics(cam["focal_mm"], cam["sensor_mm"], cam["sensor_mm"], "AUTO", resolution, resolution)
    uv, depth = project_points(points, K, blender_to_opencv_pose(pose))
    return uv, depth > 0


def _corners(item: dict) -> np.ndarray:
    m = np.array(item["matrix_world"])
    return box_corners(*item["bounds_local"]) @ m[:3, :3].T + m[:3, 3]


def test_shelves_are_full_to_the_edge_with_products_behind() -> None:
    """A store shelf: boards full across the frame (no gaps wider than a facing), fronts at the shelf edge, more of
    the same behind them, in a gondola of several bays under rows of ceiling fixtures."""
    config = load_config(
        "products", overrides={"scene": {"type": "products", "layouts": {"shelf": 1.0}}, "resolution": 256}
    )
    for index in range(6):
        spec = sample_spec(config, index)
        shelf, products = spec["shelf"], spec["products"]
        assert shelf["bays"] == 3 and 4 <= shelf["boards"] <= 5
        assert spec["lighting"]["store"]["fixtures"] and spec["surface"]["material"] in ("tiles", "concrete", "marble")
        uv, front = _in_frame(spec, _corners(products[0]))
        assert front.all() and ((uv > 0) & (uv < 256)).all(axis=1).any(), f"render {index}: the subject is not seen"
        fronts = [p for p in products if _corners(p)[:, 1].min() < -shelf["depth_m"] / 2 + 0.015]
        behind = [p for p in products if _corners(p)[:, 1].min() > -shelf["depth_m"] / 2 + 0.02]
        assert len(fronts) >= 20 and behind, f"render {index}: {len(fronts)} facings, {len(behind)} behind"
        # Along each board, the front facings the camera sees stand side by side.
        for board in range(shelf["boards"]):
            z = shelf["base_m"] + board * shelf["spacing_m"]
            row = sorted(
                (c[:, 0].min(), c[:, 0].max())
                for c in (_corners(p) for p in fronts)
                if abs(c[:, 2].min() - z) < 1e-3 and ((_in_frame(spec, c)[0] - 128) ** 2).sum(axis=1).min() < 128**2
            )
            gaps = [b[0] - a[1] for a, b in itertools.pairwise(row)]
            widths = [b - a for a, b in row]
            assert all(g < max(widths) + 0.05 for g in gaps), f"render {index} board {board}: gaps {gaps}"


def test_table_scenes_frame_the_subject_among_others() -> None:
    """A tabletop frame shows the subject at a sensible size with other products round it, looking down on the
    table steeply enough that its far edge (and the horizon) stays out of the frame."""
    config = load_config(
        "products", overrides={"scene": {"type": "products", "layouts": {"tabletop": 1.0}}, "resolution": 256}
    )
    for index in range(12):
        spec = sample_spec(config, index)
        uv, _ = _in_frame(spec, _corners(spec["products"][0]))
        side = max(np.ptp(uv[:, 0]), np.ptp(uv[:, 1]))
        assert side > 0.17 * 256, f"render {index}: the subject spans {side:.0f} px of 256"
        others = [
            p for p in spec["products"][1:] if ((_in_frame(spec, _corners(p))[0] - 128) ** 2).sum(1).min() < 128**2
        ]
        assert len(spec["products"]) >= 3 and others, f"render {index}: the subject alone on the table"
        cam = spec["camera"]
        forward = np.subtract(cam["look_at"], cam["location"])
        elevation = np.degrees(np.arcsin(-forward[2] / np.linalg.norm(forward)))
        half_fov = np.degrees(np.arctan(cam["sensor_mm"] / (2 * cam["focal_mm"])))
        assert elevation > half_fov + abs(cam["roll_deg"]) * 0.3, f"render {index}: the frame reaches the horizon"


def test_surfaces_take_the_colours_of_their_names() -> None:
    import colorsys

    from synthgen.scenes.common.surfaces import sample_surface

    def hsv(linear: list[float]) -> tuple[float, float, float]:
        return colorsys.rgb_to_hsv(*(c * 12.92 if c <= 0.0031308 else 1.055 * c ** (1 / 2.4) - 0.055 for c in linear))

    for seed in range(20):
        wood = sample_surface(np.random.default_rng(seed), "wood")
        h, s, v = hsv(wood["color_a"])
        assert 0.04 < h < 0.12 and s > 0.3, wood  # brown, from honey to walnut
        assert hsv(wood["color_b"])[2] < v  # the grain darker than the wood
        marble = sample_surface(np.random.default_rng(seed), "marble")
        assert hsv(marble["color_a"])[1] < 0.07 and hsv(marble["color_a"])[2] > 0.7  # a pale stone
        assert hsv(marble["color_b"])[2] < hsv(marble["color_a"])[2] - 0.15  # darker veins
        concrete = sample_surface(np.random.default_rng(seed), "concrete")
        assert set(concrete) == set(wood)
