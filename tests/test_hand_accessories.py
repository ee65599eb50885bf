"""Accessories and skin marks: seeded habits per identity, what a sample wears, fitted band geometry, labels
(pure numpy; the rendered checks run on the shared palm-eval dataset)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import cv2
import numpy as np
import pyarrow.dataset as pads
import pytest

from synthgen.dataset.image_codec import decode_image
from synthgen.export.categories import HAND_CLASSES, vocabulary
from synthgen.scenes.hands.accessories import (
    ACCESSORY_INSTANCE_BASE,
    ACCESSORY_TYPES,
    MARK_TYPES,
    SLEEVE_FABRICS,
    accessory_classes,
    sample_accessories,
    sample_habits,
    sample_sleeve,
    worn,
)
from synthgen.scenes.hands.accessory_geometry import band_mesh, mark_anchor, wrist_band_frame
from synthgen.scenes.hands.columns import covered_by_accessory
from synthgen.scenes.hands.config import AccessorySampling, HandsScene
from synthgen.scenes.hands.kind import HandsKind
from synthgen.scenes.hands.sampler import sample_hands_spec

SAMPLING = AccessorySampling()


def test_habits_belong_to_the_identity() -> None:
    assert sample_habits(3, 17, SAMPLING) == sample_habits(3, 17, SAMPLING)
    habits = [sample_habits(3, i, SAMPLING) for i in range(2000)]
    assert len({json.dumps(h, sort_keys=True) for h in habits}) > 1000
    owners = np.mean([bool(h["rings"]) for h in habits])
    assert owners == pytest.approx(SAMPLING.ring_owner_share, abs=0.04)
    assert np.mean([h["watch"] is not None for h in habits]) == pytest.approx(SAMPLING.watch_owner_share, abs=0.04)
    fingers = [r["where"] for h in habits for r in h["rings"]]
    assert max(set(fingers), key=fingers.count) == "ring_proximal"  # most rings are on the ring finger
    for h in habits:
        assert len({r["where"] for r in h["rings"]}) == len(h["rings"])  # one ring per finger


def test_a_sample_wears_what_its_identity_owns() -> None:
    full = AccessorySampling(ring_owner_share=1, watch_owner_share=1, bracelet_owner_share=1, wear_share=1,
                             band_aid_share=1, tattoo_share=1, scar_share=1, ink_share=1, dirt_share=1)  # fmt: skip
    habits = sample_habits(5, 2, full)
    worn_now = sample_accessories(habits, np.random.default_rng(0), full)
    types = [item["type"] for item in worn_now["items"]]
    assert set(types) == set(ACCESSORY_TYPES)
    ids = [item["instance_id"] for item in worn_now["items"]]
    assert ids == list(range(ACCESSORY_INSTANCE_BASE, ACCESSORY_INSTANCE_BASE + len(ids)))
    assert {m["type"] for m in worn_now["marks"]} == set(MARK_TYPES)
    assert worn_now["marks"][:2] == habits["marks"]  # the tattoo and the scar are permanent
    none = AccessorySampling(wear_share=0, band_aid_share=0, ink_share=0, dirt_share=0)
    assert sample_accessories(habits, np.random.default_rng(0), none)["items"] == []
    watch, bracelet = habits["watch"], habits["bracelet"]
    assert bracelet["offset_mm"] - watch["offset_mm"] >= 0.5 * (watch["width_mm"] + bracelet["width_mm"])


def test_sleeves_come_in_every_fabric() -> None:
    rng = np.random.default_rng(4)
    sleeves = [sample_sleeve(rng) for _ in range(300)]
    assert {s["fabric"] for s in sleeves} == set(SLEEVE_FABRICS)
    for s in sleeves:
        assert all(0 <= c <= 1 for c in s["colour_linear"] + s["colour_b_linear"])
        assert s["pattern"] == SLEEVE_FABRICS[s["fabric"]]["pattern"]
    denim = [s["colour_linear"] for s in sleeves if s["fabric"] == "denim"]
    assert all(c[2] > c[0] for c in denim)  # blue


def test_accessories_are_drawn_after_everything_else() -> None:
    """Turning accessories off leaves every other part of a spec as it was (they are drawn last)."""
    on, off = HandsScene(), HandsScene(accessories=AccessorySampling(enabled=False))
    for i in range(5):
        a = sample_hands_spec(9, on, i, np.random.default_rng(i), 8)
        b = sample_hands_spec(9, off, i, np.random.default_rng(i), 8)
        assert "accessories" in a and "accessories" not in b
        assert {k: v for k, v in a.items() if k != "accessories"} == b
        assert json.loads(json.dumps(a)) == a


def test_only_a_live_hands_render_shows_them() -> None:
    spec = sample_hands_spec(1, HandsScene(accessories=AccessorySampling(ring_owner_share=1, wear_share=1)), 0,
                             np.random.default_rng(0), 8)  # fmt: skip
    assert worn(spec)["items"] and accessory_classes(spec)
    assert HandsKind().instance_classes(spec) == {1: "hand", **accessory_classes(spec)}
    assert worn(spec | {"attack_type": "print"}) == {"items": [], "marks": [], "sleeve": None}
    assert HandsKind().instance_classes(spec | {"attack_type": "print"}) == {1: "print"}
    assert worn(spec | {"scene_type": "products"}) == {
        "items": [],
        "marks": [],
        "sleeve": None,
    }  # a hand holding a product
    vocab = vocabulary("hands")
    assert set(ACCESSORY_TYPES) <= set(HAND_CLASSES) and HAND_CLASSES[0] == "hand"
    assert {vocab.supercategories[vocab.classes.index(t)] for t in ACCESSORY_TYPES} == {"accessory"}


def _cylinder(radius_x: float, radius_z: float, y: np.ndarray, taper: float = 0.0) -> np.ndarray:
    angles = np.linspace(0, 2 * math.pi, 24, endpoint=False)
    return np.concatenate([
        np.stack([radius_x * (1 + taper * yy) * np.cos(angles), np.full_like(angles, yy),
                  radius_z * (1 + taper * yy) * np.sin(angles)], axis=1)
        for yy in y
    ])  # fmt: skip


def test_a_band_hugs_the_skin_it_is_fitted_to() -> None:
    """A ring round an elliptic finger: its inner surface lies just outside the skin all round, never inside."""
    finger = _cylinder(0.009, 0.007, np.linspace(-0.02, 0.02, 9))
    (verts, faces, _), _ = band_mesh(
        finger, np.zeros(3), np.array([0.0, 1.0, 0.0]), width=0.004, thickness=0.0015, clearance=0.0002,
        max_radius=0.016,
    )  # fmt: skip
    assert len(faces) == 48 * 12 and max(max(f) for f in faces) == len(verts) - 1
    angle = np.arctan2(verts[:, 0], verts[:, 2])
    skin = 1.0 / np.sqrt((np.sin(angle) / 0.009) ** 2 + (np.cos(angle) / 0.007) ** 2)  # ellipse radius there
    radius = np.hypot(verts[:, 0], verts[:, 2])
    assert (radius >= skin - 0.0004).all()  # never sinks into the finger (polygon chords: 0.4 mm)
    assert (radius <= skin + 0.0002 + 0.0015 + 0.001).all()  # and does not float off it
    assert np.ptp(verts[:, 1]) == pytest.approx(0.004, abs=1e-4)


def test_a_watch_band_fits_a_tapering_forearm_with_sparse_vertex_rings() -> None:
    """Forearm vertex rings 2 cm apart (like the asset's): the band's radius is interpolated, not the slab's max."""
    arm = _cylinder(0.03, 0.022, np.arange(-0.12, 0.0, 0.02), taper=2.0)  # wider towards the elbow (-y... +taper)
    centre, axis = wrist_band_frame(arm, np.zeros(3), 0.03)
    assert centre[1] == pytest.approx(-0.03) and abs(axis[1]) > 0.99
    (_, _, _), outline = band_mesh(arm, centre, axis, width=0.018, thickness=0.002, clearance=0.0008,
                                   max_radius=0.06, segments=64)  # fmt: skip
    scale = 1 + 2.0 * -0.03
    assert outline.max() == pytest.approx(0.03 * scale, rel=0.05)
    assert outline.min() == pytest.approx(0.022 * scale, rel=0.08)


def test_marks_sit_on_the_side_of_the_hand_they_name() -> None:
    hand = _cylinder(0.04, 0.012, np.linspace(-0.05, 0.1, 16))
    normals = hand - np.stack([np.zeros(len(hand)), hand[:, 1], np.zeros(len(hand))], axis=1)
    normals /= np.linalg.norm(normals, axis=1, keepdims=True)
    keypoints = np.zeros((21, 3))
    keypoints[5], keypoints[17] = (-0.03, 0.08, 0.0), (0.03, 0.075, 0.0)
    for region, sign in (("back_of_hand", 1), ("palm", -1), ("wrist_inner", -1), ("forearm_back", 1)):
        point = mark_anchor(hand, normals, keypoints, {"region": region, "u": 0.5, "v": 0.5, "finger": None})
        assert np.sign(point[2]) == sign, region


def test_keypoints_on_a_worn_item_are_not_visible() -> None:
    mask = np.zeros((8, 8), np.uint8)
    mask[:, :4] = 1
    mask[2, 2] = ACCESSORY_INSTANCE_BASE  # a ring pixel over the hand
    points = np.array([[2.5, 2.5], [1.5, 5.5], [9.0, 1.0]])
    classes = {1: "hand", ACCESSORY_INSTANCE_BASE: "ring"}
    assert covered_by_accessory(points, mask, classes).tolist() == [True, False, False]
    assert not covered_by_accessory(points, mask, {1: "hand"}).any()


# ------------------------------------------------------------------------------------------ rendered (shared)


def _decode(cell: dict | bytes) -> np.ndarray:
    return np.asarray(decode_image(cell["bytes"] if isinstance(cell, dict) else cell))


@pytest.mark.blender
def test_rendered_accessories_are_labelled_and_hide_keypoints(palm_eval_dataset: Path) -> None:
    """The palm-scanner test dataset (default accessory shares): every worn item listed in the row is an instance
    of its class in the mask, no visible keypoint lies on an item, and visible keypoints stay on the hand."""
    rows = pads.dataset(str(palm_eval_dataset / "data"), format="parquet").to_table().to_pylist()
    seen = set()
    for row in rows:
        spec = json.loads(row["spec"])
        wears = worn(spec)
        assert row["accessories"] == [i["type"] for i in wears["items"]]
        assert row["accessory_ids"] == [i["instance_id"] for i in wears["items"]]
        assert row["skin_marks"] == [m["type"] for m in wears["marks"]]
        assert row["nail_polish"] == (spec["identity"]["nails"]["polish"] is not None)
        assert row["sleeve_fabric"] == (wears["sleeve"]["fabric"] if wears["sleeve"] else None)
        if not row["is_live"]:
            assert row["accessories"] == [] and row["skin_marks"] == []
            continue
        mask = _decode(row["mask"])
        classes = {inst["id"]: inst["class"] for inst in row["instances"]}
        for kind, instance_id in zip(row["accessories"], row["accessory_ids"], strict=True):
            if (mask == instance_id).any():
                assert classes[instance_id] == kind
                seen.add(kind)
        # Visible keypoints: on the hand (grown by a pixel, as joint centres near its outline may fall just off
        # it), never on a ring, watch or band-aid.
        hand = cv2.dilate((mask == 1).astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
        uv = np.floor(np.array(row["keypoints_2d"])).astype(int)
        for (u, v), visible in zip(uv, row["keypoints_visible"], strict=True):
            if visible:
                assert hand[v, u] and mask[v, u] < ACCESSORY_INSTANCE_BASE, (row["sample_id"], u, v)
    assert seen, "the test dataset shows at least one worn item"
