"""synthgen.augment: seeded, label-consistent, recorded augmentation (no Blender needed)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from pydantic import ValidationError

from synthgen.augment import (
    PRESETS,
    AugmentConfig,
    Augmenter,
    AugmentInput,
    ReplayMismatchError,
    replay,
    variant_seed,
)
from synthgen.augment.registry import transform_classes
from synthgen.scenes.common.pixel_labels import bbox_from_mask

REPO = Path(__file__).resolve().parents[1]
HAND_ID, OTHER_ID = 3, 7
H, W = 120, 160  # not square, so an x/y mix-up shows


def _polygon_sample(with_nir: bool = True) -> AugmentInput:
    """Two instances on a textured background; 21 keypoints well inside instance HAND_ID."""
    rng = np.random.default_rng(0)
    image = rng.integers(40, 200, (H, W, 3), dtype=np.uint8)
    mask = np.zeros((H, W), np.uint8)
    cv2.fillPoly(mask, [np.array([[40, 20], [110, 30], [100, 95], [50, 100], [30, 60]], np.int32)], HAND_ID)
    cv2.fillPoly(mask, [np.array([[120, 70], [150, 75], [140, 110]], np.int32)], OTHER_ID)
    image[mask == HAND_ID] //= 2
    depth = np.where(mask == HAND_ID, 700, np.where(mask == OTHER_ID, 900, 2500)).astype(np.uint16)
    # A 4 px margin survives the strongest preset scale (0.75) and nearest-neighbour rounding.
    inside = np.argwhere(cv2.erode((mask == HAND_ID).astype(np.uint8), np.ones((9, 9), np.uint8)) == 1)
    keypoints = inside[rng.choice(len(inside), 21, replace=False)][:, ::-1].astype(np.float32)
    nir = image[..., 1].copy() if with_nir else None
    return AugmentInput(image=image, mask=mask, depth=depth, nir=nir, keypoints=keypoints)


@pytest.fixture(scope="module")
def sample() -> AugmentInput:
    return _polygon_sample()


def _arrays(sample: AugmentInput) -> dict[str, np.ndarray]:
    return {k: v for k, v in vars(sample).items() if v is not None}


def _assert_same(a: AugmentInput, b: AugmentInput) -> None:
    left, right = _arrays(a), _arrays(b)
    assert left.keys() == right.keys()
    for key in left:
        assert left[key].dtype == right[key].dtype, key
        np.testing.assert_array_equal(left[key], right[key], err_msg=key)


def _digest(sample: AugmentInput) -> str:
    digest = hashlib.sha256()
    for key, array in sorted(_arrays(sample).items()):
        digest.update(key.encode() + str(array.shape).encode() + array.tobytes())
    return digest.hexdigest()


def _leaf_specs() -> list[dict[str, Any]]:
    """Every distinct transform used in any preset (OneOf children included)."""
    found: dict[str, dict[str, Any]] = {}

    def walk(spec: dict[str, Any]) -> None:
        if spec["name"] == "OneOf":
            for child in spec["params"]["transforms"]:
                walk(child)
        else:
            found[json.dumps(spec, sort_keys=True, default=list)] = spec

    for specs in PRESETS.values():
        for spec in specs:
            walk(spec)
    return list(found.values())


LEAF_SPECS = _leaf_specs()


def _always(spec: dict[str, Any]) -> AugmentConfig:
    return AugmentConfig(transforms=[{"name": spec["name"], "params": {**spec["params"], "p": 1.0}}])


# --- determinism -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", LEAF_SPECS, ids=[f"{s['name']}-{i}" for i, s in enumerate(LEAF_SPECS)])
def test_every_preset_transform_is_seed_deterministic(spec: dict[str, Any], sample: AugmentInput) -> None:
    augmenter = _always(spec)
    first = Augmenter(augmenter)
    out_a, rec_a = first.augment(sample, 1234)
    first.augment(sample, 99)  # state left behind by another call must not leak into the next
    out_b, rec_b = first.augment(sample, 1234)
    out_c, rec_c = Augmenter(augmenter).augment(sample, 1234)
    for out, rec in ((out_b, rec_b), (out_c, rec_c)):
        _assert_same(out_a, out)
        assert rec == rec_a
    assert [t["name"] for t in rec_a["applied"]] == [spec["name"]]
    others = [first.augment(sample, seed) for seed in range(5)]
    assert len({_digest(out) for out, _ in others}) > 1, "different seeds should give different outputs"
    assert len({json.dumps(rec["applied"]) for _, rec in others}) > 1


@pytest.mark.parametrize("preset", ["light", "medium", "heavy", "sensor"])
def test_preset_same_seed_same_bytes_and_params(preset: str, sample: AugmentInput) -> None:
    augmenter = Augmenter(AugmentConfig(preset=preset))
    runs = [augmenter.augment(sample, seed) for seed in (5, 6, 5)]
    _assert_same(runs[0][0], runs[2][0])
    assert runs[0][1] == runs[2][1]
    json.dumps(runs[0][1], allow_nan=False)  # the record is plain JSON


def test_same_seed_same_bytes_in_another_process(sample: AugmentInput) -> None:
    seeds = [variant_seed(7, i, 1) for i in range(3)]
    here = [_digest(Augmenter(AugmentConfig(preset=p)).augment(sample, s)[0]) for p in PRESETS for s in seeds]
    code = (
        "import json, sys\n"
        "sys.path[:0] = [sys.argv[1], sys.argv[2]]\n"
        "import test_augment as t\n"
        "from synthgen.augment import AugmentConfig, Augmenter, PRESETS\n"
        "sample = t._polygon_sample()\n"
        "seeds = json.loads(sys.argv[3])\n"
        "print(json.dumps([t._digest(Augmenter(AugmentConfig(preset=p)).augment(sample, s)[0])"
        " for p in PRESETS for s in seeds]))\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}  # a different str-hash salt must not matter
    result = subprocess.run(
        [sys.executable, "-c", code, str(REPO), str(REPO / "tests"), json.dumps(seeds)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=120,
    )
    assert json.loads(result.stdout.strip().splitlines()[-1]) == here


def test_transforms_draw_independently() -> None:
    """albumentations 2.0.8's own Compose(seed=) gives every transform the same stream (all-or-nothing)."""
    config = AugmentConfig(
        transforms=[
            {"name": "RandomBrightnessContrast", "params": {"p": 0.5}},
            {"name": "RandomGamma", "params": {"p": 0.5}},
            {"name": "HueSaturationValue", "params": {"p": 0.5}},
            {"name": "GaussianBlur", "params": {"p": 0.5}},
        ]
    )
    augmenter = Augmenter(config)
    small = _polygon_sample(with_nir=False)
    patterns = {tuple(t["name"] for t in augmenter.augment(small, seed)[1]["applied"]) for seed in range(64)}
    assert len(patterns) > 4


def test_variant_seed() -> None:
    expected = np.random.SeedSequence([42, 7, 3, 0xA06]).generate_state(1, dtype=np.uint64)[0]
    assert variant_seed(42, 7, 3) == int(expected) & (2**63 - 1)
    assert variant_seed(42, 7, 3) == 9131675621638675183  # pinned: a change would silently re-seed datasets
    seeds = {variant_seed(j, r, a) for j in range(3) for r in range(5) for a in range(5)}
    assert len(seeds) == 75
    assert all(0 <= s < 2**63 for s in seeds)


def test_recorded_draws_are_pinned(sample: AugmentInput) -> None:
    """Sampled values for one seed; catches RNG-stream changes from library upgrades."""
    _, record = Augmenter(AugmentConfig(preset="medium")).augment(sample, variant_seed(42, 7, 3))
    applied = {t["name"]: t["params"] for t in record["applied"]}
    assert list(applied) == ["Affine", "HueSaturationValue", "SensorNoise", "ImageCompression"]
    assert applied["Affine"]["rotate"] == pytest.approx(6.5114423796953, rel=1e-12)
    assert applied["SensorNoise"]["noise_seed"] == 3151914268
    assert applied["ImageCompression"]["quality"] == 94


# --- label consistency -----------------------------------------------------------------------------------


GEOMETRY_ONLY = AugmentConfig(
    transforms=[
        {
            "name": "Affine",
            "params": {
                "scale": [0.75, 1.25],
                "translate_percent": [-0.15, 0.15],
                "rotate": [-40, 40],
                "shear": [-8, 8],
                "keep_ratio": True,
                "p": 1.0,
            },
        },
        {"name": "Perspective", "params": {"scale": [0.03, 0.08], "p": 1.0}},
    ]
)


@pytest.mark.parametrize("config", [AugmentConfig(preset=p) for p in ("light", "medium", "heavy")] + [GEOMETRY_ONLY])
def test_visible_keypoints_stay_on_their_instance(config: AugmentConfig, sample: AugmentInput) -> None:
    augmenter = Augmenter(config)
    original_ids = set(np.unique(sample.mask).tolist())
    original_depths = set(np.unique(sample.depth).tolist()) | {0}
    for seed in range(30):
        out, _ = augmenter.augment(sample, seed)
        assert out.keypoints is not None and out.keypoints_visible is not None
        assert out.keypoints.shape == sample.keypoints.shape and out.keypoints.dtype == np.float32
        height, width = out.mask.shape
        x, y = out.keypoints[:, 0], out.keypoints[:, 1]
        in_frame = (x >= 0) & (x < width) & (y >= 0) & (y < height)
        assert not np.any(out.keypoints_visible & ~in_frame)
        # Nearest pixel, clamped: a point at x = 159.7 is in frame but rounds to 160.
        xy = np.clip(np.rint(out.keypoints).astype(int), 0, [width - 1, height - 1])
        visible = xy[out.keypoints_visible]
        assert np.all(out.mask[visible[:, 1], visible[:, 0]] == HAND_ID), f"seed {seed}"
        assert set(np.unique(out.mask).tolist()) <= original_ids
        assert set(np.unique(out.depth).tolist()) <= original_depths
        assert out.mask.dtype == np.uint8 and out.depth.dtype == np.uint16


def test_keypoint_count_order_and_visibility() -> None:
    base = _polygon_sample(with_nir=False)
    keypoints = np.array([[10.0, 10.0], [150.0, 20.0], [60.0, 60.0], [20.0, 100.0]], np.float32)
    visible = np.array([True, True, False, True])
    sample = AugmentInput(base.image, base.mask, base.depth, keypoints=keypoints, keypoints_visible=visible)
    shift = AugmentConfig(transforms=[{"name": "Affine", "params": {"translate_px": [15, 15], "p": 1.0}}])
    out, _ = Augmenter(shift).augment(sample, 0)
    np.testing.assert_allclose(out.keypoints, keypoints + 15, atol=1e-4)  # same N, same order
    # [1] leaves the frame (x = 165 >= 160); [2] was hidden and stays hidden although still in frame.
    assert out.keypoints_visible.tolist() == [True, False, False, True]


def test_mask_and_depth_use_nearest_even_if_asked_otherwise(sample: AugmentInput) -> None:
    config = AugmentConfig(
        transforms=[{"name": "Affine", "params": {"rotate": [20, 30], "mask_interpolation": 1, "p": 1.0}}]
    )
    out, _ = Augmenter(config).augment(sample, 3)
    assert set(np.unique(out.mask).tolist()) <= {0, HAND_ID, OTHER_ID}
    assert set(np.unique(out.depth).tolist()) <= {0, 700, 900, 2500}


def test_nir_gets_geometry_blur_noise_but_not_colour(sample: AugmentInput) -> None:
    def run(name: str, **params: Any) -> AugmentInput:
        config = AugmentConfig(transforms=[{"name": name, "params": {**params, "p": 1.0}}])
        return Augmenter(config).augment(sample, 11)[0]

    geometric = run("Affine", rotate=[10, 20], scale=[0.9, 1.1])
    np.testing.assert_array_equal(geometric.nir, geometric.image[..., 1])  # nir was a copy of green
    for name in ("HueSaturationValue", "RandomBrightnessContrast", "PlanckianJitter", "Exposure"):
        out = run(name)
        assert not np.array_equal(out.image, sample.image), name
        np.testing.assert_array_equal(out.nir, sample.nir, err_msg=name)
    for name in ("GaussianBlur", "MotionBlur", "SensorNoise", "Vignetting"):
        assert not np.array_equal(run(name).nir, sample.nir), name
    noisy = run("SensorNoise", iso_range=[3200, 3200])
    # Same ISO, independent noise fields: the NIR noise is not the green channel's.
    assert not np.array_equal(noisy.nir.astype(int) - sample.nir, noisy.image[..., 1].astype(int) - sample.nir)


def test_inputs_are_not_modified(sample: AugmentInput) -> None:
    before = {k: v.copy() for k, v in _arrays(sample).items()}
    for preset in ("heavy", "sensor"):
        for seed in range(5):
            Augmenter(AugmentConfig(preset=preset)).augment(sample, seed)
    for key, array in _arrays(sample).items():
        np.testing.assert_array_equal(array, before[key], err_msg=key)


def test_sensor_preset_leaves_labels_untouched(sample: AugmentInput) -> None:
    augmenter = Augmenter(AugmentConfig(preset="sensor"))
    for seed in range(10):
        out, _ = augmenter.augment(sample, seed)
        np.testing.assert_array_equal(out.mask, sample.mask)
        np.testing.assert_array_equal(out.depth, sample.depth)
        np.testing.assert_array_equal(out.keypoints, sample.keypoints)
        assert out.keypoints_visible.all()


def test_label_unsafe_transforms_are_allowed_but_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("WARNING", logger="synthgen.augment"):
        AugmentConfig(transforms=[{"name": "HorizontalFlip"}])
    assert "handedness" in caplog.text


def test_no_preset_mirrors_the_image() -> None:
    mirroring = {"HorizontalFlip", "VerticalFlip", "Transpose", "RandomRotate90", "D4", "SquareSymmetry"}
    assert not mirroring & {spec["name"] for spec in LEAF_SPECS}


def test_none_preset_is_identity(sample: AugmentInput) -> None:
    for config in (AugmentConfig(), AugmentConfig(preset="medium", transforms=[])):
        augmenter = Augmenter(config)
        out, record = augmenter.augment(sample, 5)
        assert augmenter.is_identity and config.is_identity
        assert out is sample
        assert record["applied"] == []


# --- records and replay ----------------------------------------------------------------------------------


def test_replay_from_json_record(sample: AugmentInput) -> None:
    augmenter = Augmenter(AugmentConfig(preset="heavy"))
    for seed in range(5):
        out, record = augmenter.augment(sample, seed)
        _assert_same(replay(sample, json.loads(json.dumps(record))), out)


def test_replay_detects_a_changed_record(sample: AugmentInput) -> None:
    _, record = Augmenter(AugmentConfig(preset="medium")).augment(sample, 2)
    tampered = json.loads(json.dumps(record))
    tampered["applied"][0]["params"]["shape"] = [1, 1, 3]
    with pytest.raises(ReplayMismatchError):
        replay(sample, tampered)
    tampered = json.loads(json.dumps(record))
    tampered["spec_sha"] = "0" * 16
    with pytest.raises(ReplayMismatchError, match="spec_sha"):
        replay(sample, tampered)


def test_large_param_arrays_are_summarised(sample: AugmentInput) -> None:
    config = AugmentConfig(transforms=[{"name": "GaussNoise", "params": {"p": 1.0}}])
    _, record = Augmenter(config).augment(sample, 0)
    assert record["applied"][0]["params"]["noise_map"] == {"ndarray": {"shape": [H, W, 3], "dtype": "float32"}}


# --- config validation -----------------------------------------------------------------------------------


def test_unknown_transform_is_named() -> None:
    transforms = [{"name": "Affine"}, {"name": "GaussNoise"}, {"name": "GaussianBlurr"}]
    with pytest.raises(ValidationError, match=r"augment\.transforms\[2\]: unknown transform 'GaussianBlurr'"):
        AugmentConfig(transforms=transforms)


def test_unknown_parameter_is_named() -> None:
    with pytest.raises(ValueError, match=r"augment\.transforms\[0\] \(GaussNoise\): unknown parameter 'sigma'"):
        AugmentConfig(transforms=[{"name": "GaussNoise", "params": {"sigma": 0.1}}])


@pytest.mark.parametrize(
    ("spec", "pattern"),
    [
        (
            {"name": "GaussNoise", "params": {"std_range": [2.0, 3.0]}},
            r"\(GaussNoise\): invalid parameter 'std_range'",
        ),
        ({"name": "Affine", "params": {"p": 1.5}}, r"\(Affine\): invalid parameter 'p'"),
        (
            {"name": "Vignetting", "params": {"strength_range": [0.5, 0.1]}},
            r"\(Vignetting\): invalid parameters",
        ),
        ({"name": "Affine", "params": {"border_mode": 4}}, r"\(Affine\): invalid parameter 'border_mode'"),
        ({"name": "Affine", "params": {"fill_mask": 5}}, r"\(Affine\): invalid parameter 'fill_mask'"),
        ({"name": "Affine", "params": {"strict": False}}, r"\(Affine\): unknown parameter 'strict'"),
        (
            {"name": "OneOf", "params": {"transforms": [{"name": "Blur"}, {"name": "Nope"}]}},
            r"augment\.transforms\[0\]\.transforms\[1\]: unknown transform 'Nope'",
        ),
    ],
)
def test_invalid_parameter_is_named(spec: dict[str, Any], pattern: str) -> None:
    with pytest.raises(ValidationError, match=pattern):
        AugmentConfig(transforms=[spec])


def test_config_round_trips_and_forbids_extra_keys() -> None:
    config = AugmentConfig(transforms=[{"name": "Affine", "params": {"rotate": [-5, 5]}}])
    assert AugmentConfig.model_validate(config.model_dump(mode="json")) == config
    with pytest.raises(ValidationError):
        AugmentConfig(preset="medium", colour=True)
    with pytest.raises(ValidationError):
        AugmentConfig(preset="strong")


def test_registry_has_custom_and_no_3d_transforms() -> None:
    names = transform_classes()
    assert {"Vignetting", "Exposure", "SensorNoise", "Affine", "ImageCompression"} <= names.keys()
    assert not {"Normalize", "Lambda", "CenterCrop3D", "Pad3D"} & names.keys()


def test_input_validation() -> None:
    base = _polygon_sample(with_nir=False)
    with pytest.raises(ValueError, match="depth"):
        AugmentInput(base.image, base.mask, base.depth.astype(np.float32))
    with pytest.raises(ValueError, match="mask"):
        AugmentInput(base.image, base.mask[:-1], base.depth)
    with pytest.raises(ValueError, match="keypoints"):
        AugmentInput(base.image, base.mask, base.depth, keypoints=np.zeros((3, 2), np.float64))


# --- custom sensor transforms ----------------------------------------------------------------------------


def test_exposure_and_vignetting_behave_physically() -> None:
    flat = AugmentInput(np.full((H, W, 3), 128, np.uint8), np.zeros((H, W), np.uint8), np.zeros((H, W), np.uint16))

    def run(name: str, **params: Any) -> np.ndarray:
        config = AugmentConfig(transforms=[{"name": name, "params": {**params, "p": 1.0}}])
        return Augmenter(config).augment(flat, 0)[0].image.astype(int)

    assert run("Exposure", ev_range=[1.0, 1.0]).mean() > 160  # one stop up in linear light: 128 -> ~175
    assert run("Exposure", ev_range=[0.0, 0.0]).tolist() == flat.image.tolist()
    vignetted = run("Vignetting", strength_range=[0.4, 0.4], center_jitter=0.0)
    assert vignetted[H // 2, W // 2, 0] >= 127
    assert vignetted[0, 0, 0] == pytest.approx(128 * 0.6, abs=2)


def test_sensor_noise_grows_with_iso_and_signal() -> None:
    ramp = np.repeat(np.linspace(10, 245, W, dtype=np.float32)[None, :], H, axis=0).astype(np.uint8)
    sample = AugmentInput(np.stack([ramp] * 3, axis=-1), np.zeros((H, W), np.uint8), np.zeros((H, W), np.uint16))

    def noise(iso: float) -> np.ndarray:
        config = AugmentConfig(transforms=[{"name": "SensorNoise", "params": {"iso_range": [iso, iso], "p": 1.0}}])
        return Augmenter(config).augment(sample, 0)[0].image.astype(float) - sample.image

    low, high = noise(100).std(), noise(6400).std()
    assert 0 < low < high
    high_noise = noise(6400)
    assert high_noise[:, -40:].std() > high_noise[:, :40].std()  # shot noise: brighter is noisier


# --- bbox_from_mask --------------------------------------------------------------------------------------


def test_bbox_from_mask() -> None:
    mask = np.zeros((10, 12), np.uint8)
    assert bbox_from_mask(mask) is None
    mask[2, 3] = 1
    assert bbox_from_mask(mask) == [3.0, 2.0, 4.0, 3.0]  # one pixel: max is exclusive
    mask[5:8, 6:11] = 2
    assert bbox_from_mask(mask, 2) == [6.0, 5.0, 11.0, 8.0]
    assert bbox_from_mask(mask) == [3.0, 2.0, 11.0, 8.0]  # None: union of all instances
    assert bbox_from_mask(mask, 9) is None
    mask[:, :] = 4
    assert bbox_from_mask(mask, 4) == [0.0, 0.0, 12.0, 10.0]
    assert all(isinstance(v, float) for v in bbox_from_mask(mask, 4))


# --- blown-out variants --------------------------------------------------------------------------------


def _bright_render() -> AugmentInput:
    """A bright frame (a white table or backdrop filling most of it), where a brightness push blows out."""
    rng = np.random.default_rng(0)
    grey = rng.normal(205, 18, (64, 64, 1)).clip(0, 255)
    image = np.repeat(grey, 3, axis=2).astype(np.uint8)
    return AugmentInput(image=image, mask=np.zeros((64, 64), np.uint8), depth=np.zeros((64, 64), np.uint16))


def test_no_medium_variant_blows_out_more_than_the_bound() -> None:
    from synthgen.augment.pipeline import white_share

    bright = _bright_render()
    base = white_share(bright.image)
    unbounded = Augmenter(AugmentConfig(preset="medium", max_white_share=1.0))
    blown = [white_share(unbounded.augment(bright, seed)[0].image) - base for seed in range(200)]
    assert max(blown) > 0.5  # the nearly white variant: RandomBrightnessContrast pushing a bright frame
    bounded = Augmenter(AugmentConfig(preset="medium"))
    redrawn = 0
    for seed in range(200):
        out, record = bounded.augment(bright, seed)
        assert white_share(out.image) - base <= bounded.config.max_white_share, seed
        redrawn += "redraws" in record
        if "redraws" in record:  # a redrawn variant replays from its record
            assert np.array_equal(replay(bright, json.loads(json.dumps(record))).image, out.image)
    assert 0 < redrawn < 60
