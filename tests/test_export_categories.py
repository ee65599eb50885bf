"""The export's class lists: in step with the scenes that make the classes, per SKU on request, tabletop too."""

from __future__ import annotations

import contextlib
import io
import typing
from pathlib import Path

import pytest
import yaml
from pycocotools.coco import COCO

from synthgen.export import categories, export_dataset
from synthgen.scenes.hands.attacks.registry import ATTACK_TYPES
from synthgen.scenes.products.defects import DEFECT_TYPES
from synthgen.scenes.products.identity import FAMILIES
from synthgen.scenes.tabletop.config import TabletopScene
from tests.test_export_coco import _self_ap


def test_class_lists_match_the_scene_code() -> None:
    assert categories.PRODUCT_FAMILIES == FAMILIES
    assert categories.DEFECT_TYPES == DEFECT_TYPES
    attacks = categories.HAND_CLASSES[1 : 1 + len(ATTACK_TYPES)]
    assert set(attacks) == {"print", "screen", "silicone_hand", "cutout"}
    assert set(attacks) == {a.instance_class for a in ATTACK_TYPES.values()}
    assert categories.HAND_CLASSES[1 + len(ATTACK_TYPES) :] == ("ring", "watch", "bracelet", "band_aid")
    shapes = typing.get_args(typing.get_args(TabletopScene.model_fields["shapes"].annotation)[0])
    assert set(categories.TABLETOP_CLASSES) == set(shapes)


@pytest.mark.blender
def test_tabletop_dataset_exports_to_coco(rendered_dataset: Path, tmp_path: Path) -> None:
    export_dataset(rendered_dataset, "coco", tmp_path / "coco")
    for path in (tmp_path / "coco" / "annotations").glob("instances_*.json"):
        with contextlib.redirect_stdout(io.StringIO()):
            gt = COCO(str(path))
        assert [c["name"] for c in gt.dataset["categories"]] == list(categories.TABLETOP_CLASSES)
        assert gt.dataset["annotations"]
        assert _self_ap(gt, "bbox") == pytest.approx(1.0) and _self_ap(gt, "segm") == pytest.approx(1.0)


@pytest.mark.blender
def test_product_labels_sku_gives_one_class_per_sku(export_products_dataset: Path, tmp_path: Path) -> None:
    export_dataset(export_products_dataset, "coco", tmp_path / "coco", product_labels="sku")
    export_dataset(export_products_dataset, "yolo", tmp_path / "yolo", product_labels="sku", task="detect")
    names = yaml.safe_load((tmp_path / "yolo" / "data.yaml").read_text())["names"]
    assert list(names.values()) == [f"sku_{i:04d}" for i in range(12)]  # products-smoke: scene.skus = 12
    seen = 0
    for path in (tmp_path / "coco" / "annotations").glob("instances_*.json"):
        with contextlib.redirect_stdout(io.StringIO()):
            gt = COCO(str(path))
        for ann in gt.dataset["annotations"]:
            if "sku_id" in ann:
                assert gt.cats[ann["category_id"]]["name"] == f"sku_{ann['sku_id']:04d}"
                assert names[ann["category_id"] - 1] == f"sku_{ann['sku_id']:04d}"  # COCO id = YOLO index + 1
                seen += 1
    assert seen > 0
