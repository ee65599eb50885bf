"""Hands end to end: real MakeHuman hands rendered by Blender (RGB + NIR, 64x64), labels checked against the
rendered mask and depth."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pyarrow.dataset as pads
import pytest

from synthgen.dataset.image_codec import decode_image
from synthgen.pipeline.render_pool import RenderPool
from synthgen.scenes.hands.accessories import ACCESSORY_INSTANCE_BASE
from synthgen.scenes.hands.keypoints import DEPTH_TOLERANCE_M
from tests.conftest import run_cli

pytestmark = pytest.mark.blender


@pytest.fixture(scope="module")
def hand_dataset(export_hands_dataset: Path) -> Path:
    """The session's hands-smoke dataset (tests/conftest.py): rendered once for these and the export tests."""
    return export_hands_dataset


@pytest.fixture(scope="module")
def fist_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Fists seen from anywhere: plenty of self-occlusion."""
    folder = tmp_path_factory.mktemp("fists")
    config = folder / "fists.yaml"
    config.write_text(
        "preset: hands-smoke\nnum_renders: 3\nscene:\n  type: hands\n  identities: 3\n  samples_per_identity: 1\n"
        "  pose_families: {fist: 1}\n  camera: {mode: orbit, min_distance_m: 0.15}\n  nir: {enabled: false}\n"
    )
    result = run_cli("render", "--config", str(config), "--out", str(folder / "out"), "--no-progress")
    assert result.returncode == 0, result.stderr
    return folder / "out"


def _rows(dataset: Path) -> list[dict]:
    return pads.dataset(str(dataset / "data"), format="parquet").to_table().to_pylist()


def test_hand_rows_carry_identity_pose_and_keypoints(hand_dataset: Path) -> None:
    assert run_cli("validate", str(hand_dataset)).returncode == 0
    rows = _rows(hand_dataset)
    assert sorted(r["identity_id"] for r in rows) == [0, 0, 1, 1]  # each identity samples_per_identity times
    assert {r["kind"] for r in rows} == {"hand"}
    for row in rows:
        assert row["handedness"] in ("left", "right")
        assert len(row["keypoints_2d"]) == len(row["keypoints_3d"]) == len(row["keypoints_visible"]) == 21
        assert row["pose_family"] == "open_palm"
        assert row["bbox"] is not None and row["instances"][0]["class"] == "hand"
        assert all(z > 0 for _, _, z in row["keypoints_3d"])
        assert len(row["palm_roi"]) == 4


def test_one_identity_keeps_its_identity_record_and_split(hand_dataset: Path) -> None:
    rows = _rows(hand_dataset)
    by_identity: dict[int, list[dict]] = {}
    for row in rows:
        by_identity.setdefault(row["identity_id"], []).append(row)
    for group in by_identity.values():
        identities = [json.loads(r["spec"])["identity"] for r in group]
        assert all(i == identities[0] for i in identities)
        assert len({r["split"] for r in group}) == 1
        assert len({r["handedness"] for r in group}) == 1


@pytest.mark.parametrize("which", ["hand_dataset", "fist_dataset"])
def test_visible_keypoints_fall_in_the_hand_mask_and_hidden_ones_behind_the_depth(
    which: str, request: pytest.FixtureRequest
) -> None:
    rows = _rows(request.getfixturevalue(which))
    hidden = 0
    for row in rows:
        mask = decode_image(row["mask"]["bytes"]) == 1
        grown = cv2.dilate(mask.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
        depth = decode_image(row["depth"]["bytes"]).astype(float) * row["depth_scale"]
        height, width = mask.shape
        visible_count = 0
        for (u, v), (_, _, z), visible, tolerance in zip(
            row["keypoints_2d"], row["keypoints_3d"], row["keypoints_visible"], DEPTH_TOLERANCE_M, strict=True
        ):
            col, line = int(np.floor(u)), int(np.floor(v))
            inside = 0 <= col < width and 0 <= line < height
            if visible:
                visible_count += 1
                assert inside and grown[line, col], (row["sample_id"], u, v)
            elif inside and decode_image(row["mask"]["bytes"])[line, col] >= ACCESSORY_INSTANCE_BASE:
                pass  # under a worn item (a watch strap over the wrist): hidden by it, closer than the tolerance
            elif inside:
                hidden += 1
                # Within a pixel, as for visible ones: the lens distortion resamples the depth (nearest) and the
                # keypoint (exactly) after visibility was decided on the undistorted render.
                window = depth[max(line - 1, 0) : line + 2, max(col - 1, 0) : col + 2]
                nearest = window[window > 0].min(initial=np.inf)
                assert nearest < z - tolerance + 0.002, "a hidden keypoint has a surface in front"
        if which == "hand_dataset":
            assert visible_count >= 10, "a palm facing the camera shows most of its keypoints"
    if which == "fist_dataset":
        assert hidden > 0, "fists hide some of their own keypoints"


def test_nir_is_a_grey_image_aligned_with_the_rgb(hand_dataset: Path) -> None:
    for row in _rows(hand_dataset):
        nir = decode_image(row["nir"]["bytes"])
        assert nir.shape == (64, 64) and nir.dtype == np.uint8
        mask = decode_image(row["mask"]["bytes"]) == 1
        # The LEDs sit at the sensor: the hand, nearest to them, is brighter than what lies behind it.
        assert nir[mask].mean() > nir[~mask].mean()


def test_datasets_decodes_hand_columns(hand_dataset: Path) -> None:
    datasets = pytest.importorskip("datasets")
    loaded = datasets.load_dataset("parquet", data_files=str(hand_dataset / "data" / "*" / "*.parquet"), split="train")
    assert loaded[0]["nir"].mode == "L"
    assert len(loaded[0]["keypoints_2d"]) == 21


def test_exposure_darkens_the_rgb_capture_and_leaves_nir_alone(hand_dataset: Path) -> None:
    spec = json.loads(_rows(hand_dataset)[0]["spec"])
    spec["render"] |= {"resolution": [48, 48], "spp": 4}
    spec["nir"] |= {"enabled": True, "spp": 4}
    bright = json.loads(json.dumps(spec)) | {"render_index": 2000}
    dark = json.loads(json.dumps(spec)) | {"render_index": 2001}
    bright["camera"]["exposure_ev"], dark["camera"]["exposure_ev"] = 0.0, -2.0
    with RenderPool(
        workers=1, threads_per_worker=2, batch_size=2, timeout_s=300, retries=0, max_renders_per_worker=4
    ) as pool:
        out = {r.spec["render_index"]: r.output for r in pool.render([bright, dark])}
    assert out[2001]["image"].mean() < 0.8 * out[2000]["image"].mean()
    np.testing.assert_array_equal(out[2001]["nir"], out[2000]["nir"])  # the NIR sensor has its own exposure


def test_camera_model_columns_agree_with_the_labels(hand_dataset: Path) -> None:
    """hands-smoke turns the camera model on: the stored distortion reproduces the keypoints from their 3D points
    (OpenCV's model), the exposure is the meter's plus the scene's jitter, the lens was focused on the hand."""
    for row in _rows(hand_dataset):
        spec = json.loads(row["spec"])
        assert len(row["lens_distortion"]) == 5
        projected, _ = cv2.projectPoints(
            np.array(row["keypoints_3d"], dtype=np.float64), np.zeros(3), np.zeros(3),
            np.array(row["camera_K"], dtype=np.float64), np.array(row["lens_distortion"], dtype=np.float64),
        )  # fmt: skip
        np.testing.assert_allclose(projected[:, 0], np.array(row["keypoints_2d"]), atol=0.01)
        assert row["exposure_ev"] == pytest.approx(spec["camera"]["exposure_ev"] + row["metered_ev"], abs=1e-4)
        assert abs(row["metered_ev"]) < spec["camera_model"]["metering"]["max_ev"]
        camera_to_hand = np.linalg.norm(np.array(row["keypoints_3d"]).mean(axis=0))
        assert 0.5 * camera_to_hand < row["focus_distance_m"] < 2.0 * camera_to_hand
        assert row["f_number"] > 0 and row["shutter_s"] > 0 and len(row["subject_velocity_mps"]) == 3
        assert row["nir_band_nm"] in (850, 940) and len(row["wb_gains"]) == 3


def _sharpness(image: np.ndarray) -> float:
    grey = image.astype(np.float64).mean(axis=-1)
    return float(np.abs(np.diff(grey, axis=0)).mean() + np.abs(np.diff(grey, axis=1)).mean())


def test_motion_blur_and_depth_of_field_soften_the_render(hand_dataset: Path) -> None:
    """The same spec sharp, with the hand sweeping 10 cm across the view during the shutter, and with the lens
    wide open focused 10x too far: both lose detail (Cycles really applies them). Denoised, so that the measure
    sees detail, not sampling noise (at 8 spp the sharp render's gradients are about 2x and 4.5x the others')."""
    spec = json.loads(_rows(hand_dataset)[0]["spec"])
    spec["render"] |= {"resolution": [48, 48], "spp": 8, "denoise": True}
    spec["nir"]["enabled"] = False
    model = spec["camera_model"] | {"metering": None, "lens": None}
    variants = {
        "sharp": model | {"motion_blur": None, "depth_of_field": None},
        "moving": model | {"motion_blur": {"velocity_mps": [3.0, 0.0, 0.0], "shutter_s": 1 / 30},
                           "depth_of_field": None},
        "defocused": model | {"motion_blur": None, "depth_of_field": {"f_number": 1.0, "focus_error": 9.0}},
    }  # fmt: skip
    specs = [json.loads(json.dumps(spec)) | {"render_index": 3000 + i, "camera_model": m}
             for i, m in enumerate(variants.values())]  # fmt: skip
    with RenderPool(
        workers=1, threads_per_worker=2, batch_size=3, timeout_s=300, retries=0, max_renders_per_worker=4
    ) as pool:
        out = {r.spec["render_index"] - 3000: r.output for r in pool.render(specs)}
    sharp, moving, defocused = (_sharpness(out[i]["image"]) for i in range(3))
    assert moving < 0.7 * sharp and defocused < 0.7 * sharp, (sharp, moving, defocused)
    assert out[2]["camera_measured"]["focus_distance_m"] > 5 * out[0]["camera_measured"].get("focus_distance_m", 0.05)
