"""The quality-at-cost benchmark's parts (no timings): candidate specs, the reference, the scores, its arguments."""

from __future__ import annotations

import numpy as np
import pytest

from synthgen.bench.quality import CANDIDATES, KINDS, image_scores, kind_config, kind_specs, reference_of, with_settings
from tests.conftest import run_cli


def test_every_kind_draws_its_specs_and_a_candidate_changes_only_its_settings() -> None:
    for kind in KINDS:
        config = kind_config(kind, 32)
        (spec,) = kind_specs(kind, config, 1)
        assert spec["render"]["resolution"] == [32, 32], kind
        if kind.startswith("palm-") and kind != "palm-live":
            assert spec["attack_type"] == kind.removeprefix("palm-"), kind
    config = kind_config("palm-live", 32)
    (spec,) = kind_specs("palm-live", config, 1)
    assert spec["is_live"] and spec["nir"]["enabled"]
    cheap = with_settings(spec, {"light_tree": False, "nir": {"denoise": False}}, 0.5, 0.25)
    assert cheap["render"]["light_tree"] is False and cheap["render"]["nir"] == {"denoise": False}
    assert cheap["render"]["spp"] == spec["render"]["spp"] // 2
    assert cheap["nir"]["spp"] == max(1, round(spec["nir"]["spp"] / 4))
    assert {k: v for k, v in cheap.items() if k not in ("render", "nir")} == {
        k: v for k, v in spec.items() if k not in ("render", "nir")
    }
    reference = reference_of(spec, 512)
    assert reference["render"]["spp"] == reference["nir"]["spp"] == 512
    assert not reference["render"]["denoise"] and not reference["render"]["adaptive_sampling"]
    other = reference_of(spec, 512, seed_offset=1)
    assert other["render"]["cycles_seed"] != reference["render"]["cycles_seed"]
    assert CANDIDATES[0].name == "today" and CANDIDATES[0].render == {}


def test_scores_are_perfect_for_the_same_image_and_drop_with_noise() -> None:
    rng = np.random.default_rng(0)
    ramp = np.linspace(40, 200, 32)
    image = np.stack([np.add.outer(ramp, ramp) / 2] * 3, axis=-1).astype(np.uint8)  # a smooth image
    assert image_scores(image, image) == (1.0, 99.0)
    noisy = np.clip(image.astype(int) + rng.integers(-20, 21, image.shape), 0, 255).astype(np.uint8)
    ssim, psnr = image_scores(noisy, image)
    assert ssim < 0.95 and 20 < psnr < 35
    gray_ssim, _ = image_scores(noisy[..., 0], image[..., 0])
    assert gray_ssim < 0.95


@pytest.mark.parametrize(
    ("args", "expected"),
    [(["--kinds", "shelf,moon"], "--kinds: unknown ['moon']"), (["--size", "4"], "--size"),
     (["--candidates", "fast"], "--candidates: unknown ['fast']")],
)  # fmt: skip
def test_bad_quality_arguments_are_one_line_exit_2(args: list[str], expected: str) -> None:
    result = run_cli("bench", "--quality", *args)
    assert result.returncode == 2 and expected in result.stderr and len(result.stderr.strip().splitlines()) == 1
