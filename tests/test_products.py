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
