"""The camera and sensor model's pure parts: Brown-Conrady distortion (against OpenCV), one remap for images and
labels, the auto-exposure meter, the RGB and NIR sensors, sampling and config errors. No Blender."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from synthgen.config import JobConfig, load_config
from synthgen.errors import UsageError
from synthgen.pipeline.specs import sample_spec
from synthgen.scenes.common.camera_math import intrinsics
from synthgen.scenes.common.lens_distortion import (
    COEFFICIENTS,
    distort_normalised,
    lens_remap,
    undistort_normalised,
)
from synthgen.scenes.common.sensor_model import (
    apply_nir_sensor,
    apply_rgb_sensor,
    clipped_fractions,
    led_ring_falloff,
    metered_ev,
)

BARREL = {"k1": -0.28, "k2": 0.09, "k3": -0.015, "p1": 0.0015, "p2": -0.001}  # a palm scanner's short lens
PINCUSHION = {"k1": 0.04, "k2": 0.01, "k3": 0.0, "p1": -0.001, "p2": 0.002}
SIZE = 64
K = intrinsics(22.0, 36.0, 36.0, "AUTO", SIZE, SIZE)


@pytest.mark.parametrize("coeffs", [BARREL, PINCUSHION])
def test_points_follow_opencv_project_points(coeffs: dict[str, float]) -> None:
    remap = lens_remap(K, coeffs, SIZE, SIZE)
    rng = np.random.default_rng(0)
    points = np.column_stack([rng.uniform(-0.08, 0.08, (50, 2)), rng.uniform(0.1, 0.3, 50)])
    ideal = points[:, :2] / points[:, 2:] @ np.diag([K[0, 0], K[1, 1]]) + K[:2, 2]
    expected, _ = cv2.projectPoints(
        points, np.zeros(3), np.zeros(3), remap.camera_K, np.array(remap.coefficient_list())
    )
    np.testing.assert_allclose(remap.points(ideal), expected[:, 0], atol=1e-6)
    assert remap.coefficient_list() == [coeffs[name] for name in COEFFICIENTS]


@pytest.mark.parametrize("coeffs", [BARREL, PINCUSHION])
def test_undistortion_inverts_the_distortion(coeffs: dict[str, float]) -> None:
    xy = np.random.default_rng(1).uniform(-0.6, 0.6, (500, 2))  # the frame: |x|, |y| < 0.82 / zoom
    np.testing.assert_allclose(distort_normalised(undistort_normalised(xy, coeffs), coeffs), xy, atol=1e-10)


@pytest.mark.parametrize("coeffs", [BARREL, PINCUSHION])
def test_every_output_pixel_sees_a_rendered_pixel(coeffs: dict[str, float]) -> None:
    remap = lens_remap(K, coeffs, SIZE, SIZE)
    source = remap.source_coordinates()
    assert source.min() >= 0.0 and source.max() <= SIZE
    assert remap.zoom >= 1.0
    if coeffs is BARREL:  # barrel distortion would leave empty corners without zooming in
        assert remap.zoom > 1.05


def test_images_and_labels_move_together() -> None:
    """A pixel-id image goes through the label remap: the id found where a point lands is the pixel it came from
    (within the half pixel nearest-neighbour sampling allows), for every pixel of the render."""
    remap = lens_remap(K, BARREL, SIZE, SIZE)
    ids = np.arange(SIZE * SIZE, dtype=np.int32).reshape(SIZE, SIZE)
    moved = remap.labels(ids)
    rows, cols = np.mgrid[0:SIZE, 0:SIZE]
    centres = np.stack([cols + 0.5, rows + 0.5], axis=-1).reshape(-1, 2)
    landed = remap.points(centres)
    inside = np.all((landed >= 0) & (landed < SIZE), axis=1)
    assert inside.mean() > 0.6  # the zoom crops the rest
    found = moved[np.floor(landed[inside, 1]).astype(int), np.floor(landed[inside, 0]).astype(int)]
    found_rc = np.stack([found // SIZE, found % SIZE], axis=1)
    origin_rc = np.stack([rows.ravel()[inside], cols.ravel()[inside]], axis=1)
    assert np.abs(found_rc - origin_rc).max() <= 1


def test_a_keypoint_inside_the_mask_stays_inside_after_distortion() -> None:
    remap = lens_remap(K, BARREL, SIZE, SIZE)
    mask = np.zeros((SIZE, SIZE), np.uint8)
    cv2.circle(mask, (46, 18), 5, 1, -1)  # off-centre, where distortion moves things most
    keypoint = np.array([[46.5, 18.5]])
    moved_mask, moved_point = remap.labels(mask), remap.points(keypoint)[0]
    assert moved_mask[int(moved_point[1]), int(moved_point[0])] == 1
    assert np.linalg.norm(moved_point - keypoint[0]) > 1.0  # it did move
    # The image moves the same way: a bright disk in the image lands on the mask's disk.
    image = np.dstack([mask * 255] * 3).astype(np.uint8)
    moved_image = remap.image(image)
    assert moved_image[moved_mask == 1].mean() > 200 and moved_image[moved_mask == 0].mean() < 30


def test_meter_exposes_the_subject_to_the_target_grey() -> None:
    metering = {"target_grey": 0.18, "subject_weight": 1.0, "centre_sigma": 0.35, "max_ev": 4.0}
    image = np.full((32, 32, 3), 0.05)
    subject = np.zeros((32, 32), bool)
    subject[8:24, 8:24] = True
    image[subject] = 0.72
    assert metered_ev(image, subject, metering) == pytest.approx(-2.0)  # 0.72 -> 0.18: two stops down
    assert metered_ev(np.full((32, 32, 3), 0.045), np.zeros((32, 32), bool), metering) == pytest.approx(2.0)
    assert metered_ev(np.full((32, 32, 3), 1e-4), subject, metering) == 4.0  # clipped to max_ev
    half = metering | {"subject_weight": 0.5}
    assert -2.0 < metered_ev(image, subject, half) < 0.0  # the dark background pulls the exposure up


def test_rgb_sensor_noise_follows_its_model_and_white_balance_tints() -> None:
    grey = np.full((128, 128, 3), 118, np.uint8)  # about 0.18 linear
    rng = np.random.default_rng(3)
    clean = apply_rgb_sensor(grey, {"shot_noise": 0.0, "read_noise": 0.0, "wb_gains": [1.0, 1.0, 1.0]}, rng)
    np.testing.assert_array_equal(clean, grey)
    noisy = apply_rgb_sensor(grey, {"shot_noise": 0.02, "read_noise": 0.002, "wb_gains": [1.0, 1.0, 1.0]}, rng)
    assert abs(noisy.mean() - 118) < 0.5 and 1.5 < noisy.std() < 5.0
    warm = apply_rgb_sensor(grey, {"shot_noise": 0.0, "read_noise": 0.0, "wb_gains": [1.1, 1.0, 0.9]}, rng)
    assert warm[..., 0].mean() > 118 > warm[..., 2].mean()


def test_nir_sensor_vignettes_adds_the_hotspot_on_the_subject_and_940_nm_is_noisier() -> None:
    flat = np.full((64, 64), 140, np.uint8)
    subject = np.zeros((64, 64), bool)
    subject[16:48, 16:48] = True
    params = {"band_nm": 850, "vignetting": 0.5, "hotspot": 0.0, "hotspot_offset": [0.0, 0.0],
              "hotspot_sigma": 0.05, "gain_stops": 0.0, "shot_noise": 0.0, "read_noise": 0.0}  # fmt: skip
    vignetted = apply_nir_sensor(flat, subject, params, np.random.default_rng(0))
    assert vignetted[0, 0] < 0.75 * vignetted[32, 32] and vignetted[32, 32] == 140
    assert led_ring_falloff(64, 64, 0.5)[0, 0] == pytest.approx(0.5, abs=0.03)
    hot = apply_nir_sensor(flat, subject, params | {"vignetting": 0.0, "hotspot": 0.3}, np.random.default_rng(0))
    assert hot[32, 32] > 160 and hot[2, 32] == 140  # only on the subject
    noisy = {band: apply_nir_sensor(flat, subject, params | {"vignetting": 0.0, "band_nm": band, "shot_noise": 0.02,
                                    "read_noise": 0.004}, np.random.default_rng(1)) for band in (850, 940)}  # fmt: skip
    assert noisy[940].std() > 1.2 * noisy[850].std()
    assert clipped_fractions(np.full((4, 4), 255, np.uint8)) == (1.0, 0.0)


def _config(**camera_model: object) -> JobConfig:
    return JobConfig.model_validate(
        {"scene": {"type": "hands"}, "camera_model": {"enabled": True, **camera_model}, "resolution": 64}
    )


def test_sampling_is_seeded_and_switching_one_effect_off_keeps_the_others() -> None:
    on = sample_spec(_config(), 3)
    assert sample_spec(_config(), 3) == on
    off = sample_spec(_config(lens={"enabled": False}), 3)
    assert off["camera_model"]["lens"] is None
    assert {k: v for k, v in off["camera_model"].items() if k != "lens"} == {
        k: v for k, v in on["camera_model"].items() if k != "lens"
    }
    without = sample_spec(JobConfig.model_validate({"scene": {"type": "hands"}, "resolution": 64}), 3)
    assert "camera_model" not in without  # off by default: the ideal camera
    assert {k: v for k, v in on.items() if k != "camera_model"} == without  # the scene's own draws unchanged
    velocity = np.array(on["camera_model"]["motion_blur"]["velocity_mps"])
    assert velocity[2] <= 0 and abs(velocity[2]) >= np.linalg.norm(velocity[:2])  # mostly towards the camera


def test_products_renders_get_no_motion_blur() -> None:
    config = JobConfig.model_validate({"scene": {"type": "products"}, "camera_model": {"enabled": True}})
    assert sample_spec(config, 0)["camera_model"]["motion_blur"] is None


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"camera_model.lens.k1": [-0.9, 0.0]}, "camera_model.lens.k1"),
        ({"camera_model.depth_of_field.f_number": [16, 8]}, "camera_model.depth_of_field.f_number"),
        ({"camera_model.nir_sensor.bands_nm": [550]}, "camera_model.nir_sensor.bands_nm"),
        ({"camera_model.motion_blur.enabled": 1}, "camera_model.motion_blur"),
        ({"camera_model.metering.target_grey": 2}, "camera_model.metering.target_grey"),
    ],
)
def test_bad_camera_model_values_get_a_one_line_error(overrides: dict, field: str) -> None:
    with pytest.raises(UsageError) as error:
        load_config("hands-smoke", overrides=overrides)
    message = str(error.value)
    assert field in message and "\n" not in message
