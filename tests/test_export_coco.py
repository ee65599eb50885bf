"""COCO export read back with pycocotools: masks, boxes and areas exact; COCOeval of the truth against itself."""

from __future__ import annotations

import contextlib
import copy
import io
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from synthgen.data import open_dataset
from synthgen.export import export_dataset
from synthgen.export.categories import dataset_vocabulary
from synthgen.export.coco import HAND_OKS_SIGMAS, coco_from_rows


def _rows_by_id(dataset: Path) -> dict[str, dict]:
    return {row["sample_id"]: row for row in open_dataset(dataset).reader().iter_rows()}


@pytest.fixture(scope="module")
def coco_products(export_products_dataset: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("coco") / "products"
    export_dataset(export_products_dataset, "coco", out)
    return out


@pytest.fixture(scope="module")
def coco_hands(export_hands_dataset: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("coco") / "hands"
    export_dataset(export_hands_dataset, "coco", out)
    return out


def _load(path: Path) -> COCO:
    with contextlib.redirect_stdout(io.StringIO()):
        return COCO(str(path))


def _self_ap(gt: COCO, iou_type: str, cat_ids: list[int] | None = None) -> float:
    detections = copy.deepcopy(gt.dataset["annotations"])
    if cat_ids is not None:
        detections = [d for d in detections if d["category_id"] in cat_ids]
    for d in detections:
        d["score"] = 1.0
    with contextlib.redirect_stdout(io.StringIO()):
        dt = gt.loadRes(detections)
        evaluation = COCOeval(gt, dt, iou_type)
        if cat_ids is not None:
            evaluation.params.catIds = cat_ids
        if iou_type == "keypoints":
            evaluation.params.kpt_oks_sigmas = HAND_OKS_SIGMAS
        evaluation.evaluate()
        evaluation.accumulate()
        evaluation.summarize()
    return float(evaluation.stats[0])


def _split_files(out: Path) -> list[Path]:
    files = sorted((out / "annotations").glob("instances_*.json"))
    assert files, "no annotation files"
    assert not list(out.rglob(".*")), "temporary files were left behind"
    return files


@pytest.mark.blender
@pytest.mark.parametrize("which", ["coco_products", "coco_hands"])
def test_masks_boxes_and_areas_match_the_dataset_exactly(which: str, request: pytest.FixtureRequest) -> None:
    out = request.getfixturevalue(which)
    dataset = request.getfixturevalue("export_products_dataset" if which == "coco_products" else "export_hands_dataset")
    rows = _rows_by_id(dataset)
    seen = set()
    categories = None
    for path in _split_files(out):
        split = path.stem.removeprefix("instances_")
        coco = _load(path)
        categories = categories or coco.dataset["categories"]
        assert coco.dataset["categories"] == categories, "splits must share one category list"
        assert min(c["id"] for c in categories) == 1
        names = {c["id"]: c["name"] for c in categories}
        for image in coco.dataset["images"]:
            row = rows[image["sample_id"]]
            assert row["split"] == split
            seen.add(image["sample_id"])
            picture = cv2.cvtColor(cv2.imread(str(out / "images" / split / image["file_name"])), cv2.COLOR_BGR2RGB)
            assert np.array_equal(picture, row["image"])
            annotations = coco.loadAnns(coco.getAnnIds(imgIds=[image["id"]]))
            instances = {i["id"]: i for i in row["instances"]}
            objects = [a for a in annotations if "instance_id" in a]
            assert sorted(a["instance_id"] for a in objects) == sorted(instances)
            for ann in objects:
                truth = row["mask"] == ann["instance_id"]
                decoded = coco.annToMask(ann).astype(bool)
                assert np.array_equal(decoded, truth)
                assert ann["area"] == int(truth.sum()) == instances[ann["instance_id"]]["pixels"]
                x0, y0, x1, y1 = instances[ann["instance_id"]]["bbox"]
                assert ann["bbox"] == [x0, y0, x1 - x0, y1 - y0]
                assert ann["iscrowd"] == 0 and ann["area"] > 0
                assert names[ann["category_id"]] == instances[ann["instance_id"]]["class"]
            for ann in (a for a in annotations if "defect_id" in a):
                truth = row["defect_mask"] == ann["defect_id"]
                assert np.array_equal(coco.annToMask(ann).astype(bool), truth) and ann["area"] == truth.sum()
                assert names[ann["category_id"]] == row["defects"][ann["defect_id"] - 1]["type"]
                product = coco.anns[ann["product_annotation_id"]]
                assert product["instance_id"] == row["defects"][ann["defect_id"] - 1]["instance"]
    assert seen == set(rows), "every row is exported once"


@pytest.mark.blender
@pytest.mark.parametrize("which", ["coco_products", "coco_hands"])
def test_ground_truth_against_itself_has_ap_1(which: str, request: pytest.FixtureRequest) -> None:
    out = request.getfixturevalue(which)
    for path in _split_files(out):
        gt = _load(path)
        assert _self_ap(gt, "bbox") == pytest.approx(1.0)
        assert _self_ap(gt, "segm") == pytest.approx(1.0)
        hand = [c["id"] for c in gt.dataset["categories"] if c["name"] == "hand"]
        if which == "coco_hands":
            assert _self_ap(gt, "keypoints", hand) == pytest.approx(1.0)
            # A detection off by a few pixels must score lower: the evaluation is not vacuous.
            shifted = copy.deepcopy(gt.dataset["annotations"])
            for d in shifted:
                d["bbox"][0] += 6
                d["score"] = 1.0
            with contextlib.redirect_stdout(io.StringIO()):
                evaluation = COCOeval(gt, gt.loadRes(shifted), "bbox")
                evaluation.evaluate()
                evaluation.accumulate()
                evaluation.summarize()
            assert evaluation.stats[0] < 0.9


@pytest.mark.blender
def test_hand_keypoints_have_coco_flags_and_pixel_index_coordinates(
    coco_hands: Path, export_hands_dataset: Path
) -> None:
    rows = _rows_by_id(export_hands_dataset)
    flags_seen = set()
    for path in _split_files(coco_hands):
        coco = _load(path)
        (hand,) = [c for c in coco.dataset["categories"] if c["name"] == "hand"]
        assert len(hand["keypoints"]) == 21 and len(hand["skeleton"]) == 20
        assert all(1 <= a <= 21 and 1 <= b <= 21 for a, b in hand["skeleton"])
        for ann in coco.dataset["annotations"]:
            if ann["category_id"] != hand["id"]:
                continue
            row = rows[coco.imgs[ann["image_id"]]["sample_id"]]
            triplets = np.asarray(ann["keypoints"], dtype=float).reshape(21, 3)
            uv, visible = row["keypoints_2d"], row["keypoints_visible"]
            inside = (uv[:, 0] >= 0) & (uv[:, 0] < row["width"]) & (uv[:, 1] >= 0) & (uv[:, 1] < row["height"])
            expected = np.where(inside, np.where(visible, 2, 1), 0)
            assert triplets[:, 2].tolist() == expected.tolist()
            assert ann["num_keypoints"] == int((expected > 0).sum())
            labelled = expected > 0
            np.testing.assert_allclose(triplets[labelled, :2] + 0.5, uv[labelled], atol=1e-3)
            assert (triplets[~labelled, :2] == 0).all()
            flags_seen |= set(expected.tolist())
    assert {1, 2} <= flags_seen, "the palm-camera renders hide some keypoints"


@pytest.mark.blender
def test_in_memory_conversion_matches_the_written_file(coco_products: Path, export_products_dataset: Path) -> None:
    dataset = open_dataset(export_products_dataset)
    rows = list(dataset.filter(split="test").reader().iter_rows())
    in_memory = coco_from_rows(rows, dataset_vocabulary(dataset.manifest))
    written = json.loads((coco_products / "annotations" / "instances_test.json").read_text())
    for key in ("categories", "images", "annotations"):
        assert in_memory[key] == written[key]
    # Without a vocabulary: the scene type's classes, ids from 1, and the same RLE.
    default = coco_from_rows(rows[:1])
    assert default["categories"][0]["id"] == 1
    ann = default["annotations"][0]
    assert mask_utils.area(ann["segmentation"] | {"counts": ann["segmentation"]["counts"].encode()}) == ann["area"]
