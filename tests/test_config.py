"""Config loading: presets, files, overrides and the one-line errors for bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from synthgen.config import load_config, preset_names
from synthgen.errors import UsageError


def test_every_preset_loads() -> None:
    for name in preset_names():
        config = load_config(name)
        assert config.preset == name
        assert str(config.out) == f"outputs/{name}"
    assert {"quickstart", "smoke"} <= set(preset_names())


def test_overrides_beat_the_file_and_the_file_beats_the_preset(tmp_path: Path) -> None:
    path = tmp_path / "job.yaml"
    path.write_text("preset: quickstart\nseed: 7\nrender:\n  spp: 9\n")
    config = load_config(config_file=path, overrides={"render.spp": 3, "resolution": "640x480"})
    assert (config.seed, config.render.spp, config.resolution) == (7, 3, (640, 480))
    assert config.num_renders == load_config("quickstart").num_renders


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"num_renders": -3}, "num_renders: Input should be greater than or equal to 1 (got -3)"),
        ({"render.spp": 0}, "render.spp"),
        ({"resolution": 4}, "resolution: each side must be 16..8192 px, got [4, 4]"),
        ({"resolution": "big"}, "resolution"),
        ({"seed": "abc"}, "seed"),
        ({"variants": 2}, "variants=2 needs an augmentation preset"),
        ({"scene.objects": [3, 1]}, "scene.objects"),
    ],
)
def test_bad_values_name_the_field(overrides: dict, expected: str) -> None:
    with pytest.raises(UsageError) as caught:
        load_config("smoke", overrides=overrides)
    message = str(caught.value)
    assert expected in message and "\n" not in message
    assert caught.value.exit_code == 2


def test_unknown_keys_are_named(tmp_path: Path) -> None:
    path = tmp_path / "job.yaml"
    path.write_text("render:\n  sps: 8\n")
    with pytest.raises(UsageError, match=r"render\.sps: unknown key"):
        load_config(config_file=path)


def test_unknown_preset_and_missing_file() -> None:
    with pytest.raises(UsageError, match="preset: unknown preset 'nope'"):
        load_config("nope")
    with pytest.raises(UsageError, match="--config: no such file"):
        load_config(config_file=Path("/nonexistent/job.yaml"))


def test_malformed_yaml_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "job.yaml"
    path.write_text("seed: [1,\n")
    with pytest.raises(UsageError, match="is not valid YAML") as caught:
        load_config(config_file=path)
    assert "\n" not in str(caught.value)


def test_fingerprint_ignores_execution_settings_only() -> None:
    base = load_config("smoke")
    assert (
        base.content_fingerprint() == load_config("smoke", overrides={"workers": 3, "out": "x"}).content_fingerprint()
    )
    assert base.content_fingerprint() != load_config("smoke", overrides={"seed": 1}).content_fingerprint()
    assert base.content_fingerprint() != load_config("smoke", overrides={"render.spp": 5}).content_fingerprint()


def test_a_hands_job_renders_identities_times_samples_unless_told_otherwise() -> None:
    config = load_config("palm-scanner")
    assert config.num_renders == config.scene.identities * config.scene.samples_per_identity
    assert load_config("palm-scanner", overrides={"num_renders": 7}).num_renders == 7


def test_hands_config_errors_name_the_field() -> None:
    with pytest.raises(UsageError, match=r"num_renders=5000 exceeds scene.identities x scene.samples_per_identity"):
        load_config("palm-scanner", overrides={"num_renders": 5000})
    with pytest.raises(UsageError, match=r"scene\.pose_families: unknown pose families \['waving'\]"):
        load_config("hands", overrides={"scene.pose_families": {"waving": 1}})
    with pytest.raises(UsageError, match=r"scene\.camera\.mode"):
        load_config("hands", overrides={"scene.camera.mode": "drone"})
