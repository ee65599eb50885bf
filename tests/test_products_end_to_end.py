"""End to end: the products-smoke preset renders real 64x64 product scenes with Blender; every product label
is checked against the mask and the geometry it describes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow.dataset as pads
import pytest

from synthgen.dataset.image_codec import decode_image
from synthgen.dataset.schema import column_names
from synthgen.scenes.common.pixel_labels import bbox_from_mask
from tests.conftest import run_cli

pytestmark = pytest.mark.blender


@pytest.fixture(scope="module")
def products_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("products") / "smoke"
    result = run_cli("render", "--preset", "products-smoke", "--out", str(out), "--no-progress")
    assert result.returncode == 0, result.stderr
    return out


def _rows(dataset: Path) -> list[dict]:
    return pads.dataset(str(dataset / "data"), format="parquet").to_table().to_pylist()


def test_products_render_a_valid_dataset(products_dataset: Path) -> None:
    assert run_cli("validate", str(products_dataset)).returncode == 0
    rows = _rows(products_dataset)
    assert len(rows) == 4
    table = pads.dataset(str(products_dataset / "data"), format="parquet").to_table()
    assert table.schema.names == column_names()
    for row in rows:
        spec = json.loads(row["spec"])
        assert row["kind"] == "product"
        assert row["sku_id"] == spec["sku_id"] and row["product_class"] == spec["skus"][str(spec["sku_id"])]["family"]
        assert decode_image(row["image"]["bytes"]).std() > 5


def test_boxes_masks_and_ids_agree(products_dataset: Path) -> None:
    for row in _rows(products_dataset):
        mask = decode_image(row["mask"]["bytes"])
        ids = [i["id"] for i in row["instances"]]
        assert len(ids) == len(set(ids)), "instance ids are unique per image"
        assert set(np.unique(mask)) - {0} == set(ids)
        assert row["bbox"] == bbox_from_mask(mask, 1)
        spec = json.loads(row["spec"])
        skus = {p["instance_id"]: p["sku_id"] for p in spec["products"]}
        for instance in row["instances"]:
            assert instance["bbox"] == bbox_from_mask(mask, instance["id"])
            assert instance["pixels"] == int((mask == instance["id"]).sum())
            assert instance["sku_id"] == skus[instance["id"]]
            assert 0.0 < instance["visible_fraction"] <= 1.0
        # Some product in every scene stands in the clear: its rasterised silhouette matches its mask.
        assert max(i["visible_fraction"] for i in row["instances"]) > 0.9


def test_projected_3d_boxes_enclose_each_instance_mask(products_dataset: Path) -> None:
    """box3d (camera frame) projected with camera_K contains every pixel of its instance; object_pose maps the
    local box to the same corners."""
    for row in _rows(products_dataset):
        mask = decode_image(row["mask"]["bytes"])
        K = np.array(row["camera_K"])
        spec = json.loads(row["spec"])
        local = {p["instance_id"]: p["bounds_local"] for p in spec["products"]}
        for instance in row["instances"]:
            corners = np.array(instance["box3d"])
            assert corners.shape == (8, 3) and (corners[:, 2] > 0).all()
            uv = (corners @ K.T)[:, :2] / corners[:, 2:]
            box = bbox_from_mask(mask, instance["id"])
            tolerance = 1.5  # pixels: anti-aliased edges
            assert box[0] >= uv[:, 0].min() - tolerance and box[2] <= uv[:, 0].max() + tolerance
            assert box[1] >= uv[:, 1].min() - tolerance and box[3] <= uv[:, 1].max() + tolerance
            pose = np.array(instance["object_pose"])
            low = local[instance["id"]][0]
            np.testing.assert_allclose(pose[:3, :3] @ np.array(low) + pose[:3, 3], corners[0], atol=1e-4)


def test_defect_masks_lie_inside_their_instance(products_dataset: Path) -> None:
    seen = 0
    for row in _rows(products_dataset):
        mask = decode_image(row["mask"]["bytes"])
        defect_mask = decode_image(row["defect_mask"]["bytes"])
        spec = json.loads(row["spec"])
        assert len(row["defects"]) == sum(1 for p in spec["products"] if p["defect"])
        assert set(np.unique(defect_mask)) <= {0} | {d["id"] for d in row["defects"]}
        for defect in row["defects"]:
            pixels = defect_mask == defect["id"]
            assert defect["pixels"] == int(pixels.sum())
            assert defect["bbox"] == bbox_from_mask(defect_mask, defect["id"])
            assert (mask[pixels] == defect["instance"]).all()
            seen += defect["pixels"] > 0
    assert seen > 0, "the smoke preset shows at least one defect"


@pytest.fixture(scope="module")
def hand_held_dataset(export_held_dataset: Path) -> Path:
    """The session's 2-render hand-held dataset (tests/conftest.py): rendered once for these and the exports."""
    return export_held_dataset


def test_a_hand_holds_a_product_and_both_are_labelled(hand_held_dataset: Path) -> None:
    for row in _rows(hand_held_dataset):
        assert row["kind"] == "hand_with_product" and row["pose_family"] == "grasp"
        mask = decode_image(row["mask"]["bytes"])
        assert {i["id"]: i["class"] for i in row["instances"]}.get(1) == "hand"
        product = next(i for i in row["instances"] if i["id"] == 2)
        assert product["class"] == row["product_class"] and product["sku_id"] == row["sku_id"]
        assert len(row["keypoints_2d"]) == 21 and row["identity_id"] is not None
        corners = np.array(product["box3d"])
        uv = (corners @ np.array(row["camera_K"]).T)[:, :2] / corners[:, 2:]
        box = bbox_from_mask(mask, 2)
        assert box[0] >= uv[:, 0].min() - 1.5 and box[2] <= uv[:, 0].max() + 1.5
        assert box[1] >= uv[:, 1].min() - 1.5 and box[3] <= uv[:, 1].max() + 1.5


def test_augmented_variants_move_the_defect_mask_with_the_instances(tmp_path: Path) -> None:
    out = tmp_path / "augmented"
    result = run_cli(
        "render", "--preset", "products-smoke", "--num-renders", "2", "--variants", "2", "--augment", "medium",
        "--out", str(out), "--no-progress",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = _rows(out)
    assert len(rows) == 6
    clean = {r["render_index"]: r for r in rows if r["aug_index"] == 0}
    for row in rows:
        mask = decode_image(row["mask"]["bytes"])
        defect_mask = decode_image(row["defect_mask"]["bytes"])
        for defect in row["defects"]:
            pixels = defect_mask == defect["id"]
            assert defect["pixels"] == int(pixels.sum())
            assert (mask[pixels] == defect["instance"]).all()
        reference = {i["id"]: i["visible_fraction"] for i in clean[row["render_index"]]["instances"]}
        for instance in row["instances"]:  # describes the clean render, like camera_K
            assert instance["visible_fraction"] == reference.get(instance["id"], instance["visible_fraction"])
