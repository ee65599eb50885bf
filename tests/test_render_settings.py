"""Render settings: config -> spec -> the worker's Cycles scene (RGB and the NIR capture), and render.device."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from synthgen.config import load_config
from synthgen.dataset.folder import read_manifest
from synthgen.errors import UsageError
from synthgen.pipeline.devices import choose_device, probe_cycles_gpus, resolve_device
from synthgen.pipeline.render_pool import RenderWorker
from synthgen.pipeline.specs import sample_spec
from tests.conftest import run_cli

LEAN = {
    "render.diffuse_bounces": 2, "render.glossy_bounces": 1, "render.transmission_bounces": 3,
    "render.volume_bounces": 1, "render.transparent_bounces": 5, "render.max_bounces": 5,
    "render.clamp_direct": 4.0, "render.clamp_indirect": 2.5, "render.caustics": False, "render.filter_glossy": 0.5,
    "render.light_tree": False, "render.scrambling_distance": 0.4, "render.denoiser_prefilter": "FAST",
    "render.denoiser_input": "RGB_ALBEDO", "render.denoiser_quality": "BALANCED", "render.adaptive_min_samples": 3,
    "render.persistent_data": True, "render.nir.denoise": False, "render.nir.diffuse_bounces": 1,
}  # fmt: skip


def test_render_settings_reach_the_spec() -> None:
    config = load_config("palm-scanner", overrides={"resolution": 64, **LEAN})
    render = sample_spec(config, 0)["render"]
    for dotted, value in LEAN.items():
        *_, key = dotted.split(".")
        where = render["nir"] if dotted.startswith("render.nir.") else render
        assert where[key] == value, dotted
    assert "device" not in render  # where it renders does not belong in what it renders
    # Where it renders leaves the dataset's fingerprint alone; what changes pixels changes it.
    base = load_config("palm-scanner").content_fingerprint()
    assert load_config("palm-scanner", overrides={"render.device": "cpu"}).content_fingerprint() == base
    assert load_config("palm-scanner", overrides={"render.persistent_data": False}).content_fingerprint() == base
    assert load_config("palm-scanner", overrides={"render.glossy_bounces": 1}).content_fingerprint() != base


@pytest.mark.blender
def test_the_worker_applies_the_spec_settings_to_cycles_and_the_nir_overrides_to_its_capture() -> None:
    import bpy

    from blender_scenes.common.render_setup import apply_cycles_settings, apply_render_settings, start_fresh_renders

    config = load_config("palm-scanner", overrides={"resolution": 64, **LEAN})
    spec = sample_spec(config, 0)
    scene = bpy.context.scene
    apply_render_settings(scene, spec["render"])
    start_fresh_renders(scene, spec["render"]["persistent_data"])  # what the worker does before a sample's render
    cycles = scene.cycles
    assert (cycles.diffuse_bounces, cycles.glossy_bounces, cycles.transmission_bounces) == (2, 1, 3)
    assert (cycles.volume_bounces, cycles.transparent_max_bounces, cycles.max_bounces) == (1, 5, 5)
    assert (cycles.sample_clamp_direct, cycles.sample_clamp_indirect) == (4.0, 2.5)
    assert not cycles.caustics_reflective and not cycles.caustics_refractive and not cycles.use_light_tree
    assert cycles.blur_glossy == 0.5 and cycles.scrambling_distance == pytest.approx(0.4)
    assert (cycles.denoising_prefilter, cycles.denoising_input_passes) == ("FAST", "RGB_ALBEDO")
    assert cycles.denoising_quality == "BALANCED" and cycles.adaptive_min_samples == 3
    assert scene.render.use_persistent_data and cycles.use_denoising
    # The NIR capture: render.nir over the RGB settings, then back (what capture_nir does around its render).
    apply_cycles_settings(scene, spec["render"] | spec["render"]["nir"] | {"spp": spec["nir"]["spp"]})
    assert not cycles.use_denoising and cycles.diffuse_bounces == 1 and cycles.glossy_bounces == 1
    assert cycles.samples == spec["nir"]["spp"]
    apply_cycles_settings(scene, spec["render"])
    assert cycles.use_denoising and cycles.diffuse_bounces == 2 and cycles.samples == spec["render"]["spp"]


@pytest.mark.blender
def test_a_spec_without_the_later_settings_renders_with_cycles_defaults() -> None:
    import bpy

    from blender_scenes.common.render_setup import apply_render_settings

    render = {"resolution": [16, 16], "spp": 2, "adaptive_sampling": True, "adaptive_threshold": 0.02,
              "denoise": True, "max_bounces": 6, "view_transform": "AgX", "cycles_seed": 1}  # fmt: skip
    scene = bpy.context.scene
    scene.cycles.diffuse_bounces = 1
    apply_render_settings(scene, render)
    assert scene.cycles.diffuse_bounces == 4 and scene.cycles.transmission_bounces == 12
    assert scene.cycles.caustics_reflective and scene.cycles.use_light_tree


@pytest.mark.blender
def test_a_worker_reports_its_device_and_the_cpu_seconds_of_a_sample(tmp_path: Path) -> None:
    config = load_config("smoke", overrides={"resolution": 16, "render.spp": 1, "render.denoise": False})
    worker = RenderWorker(0, 1, tmp_path)
    worker.start()
    try:
        results = list(worker.render_batch([sample_spec(config, 0)], timeout_s=120))
    finally:
        worker.stop()
    assert worker.device == "CPU"
    kind, _, output = results[0]
    assert kind == "result" and output["timings"]["cpu_s"] > 0


def test_choose_device_takes_a_listed_gpu_and_refuses_a_missing_one() -> None:
    listed = {"OPTIX": ("RTX A",), "CUDA": ("RTX A", "RTX B")}
    assert choose_device("auto", listed).type == "OPTIX"
    assert choose_device("cuda", listed).gpus == ("RTX A", "RTX B")
    assert choose_device("auto", {}).type == "CPU" and choose_device("cpu", listed).type == "CPU"
    with pytest.raises(UsageError, match=r"render.device: 'hip' is not available here \(Cycles lists OPTIX"):
        choose_device("hip", listed)


@pytest.mark.blender
def test_on_this_cpu_machine_auto_is_the_cpu_and_cuda_is_refused() -> None:
    assert probe_cycles_gpus() == {}  # a real Blender asked: this machine has no GPU
    assert resolve_device("auto").type == "CPU"
    with pytest.raises(UsageError, match=r"render\.device: 'cuda' is not available here"):
        resolve_device("cuda")


def test_an_unavailable_gpu_is_one_line_exit_2_before_any_work(tmp_path: Path) -> None:
    out = tmp_path / "never"
    result = run_cli("render", "--preset", "smoke", "--out", str(out), "--set", "render.device=cuda")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "render.device: 'cuda' is not available here" in lines[0], result.stderr
    assert not out.exists()
    bad = run_cli("render", "--preset", "smoke", "--out", str(out), "--set", "render.device=vulkan")
    assert bad.returncode == 2 and "render.device" in bad.stderr and not out.exists()


@pytest.mark.blender
def test_the_manifest_records_the_device_it_rendered_on(rendered_dataset: Path) -> None:
    manifest = read_manifest(rendered_dataset)
    assert manifest["render_device"] == {"requested": "auto", "type": "CPU", "gpus": []}


def _images(specs: list[dict], tmp_path: Path, persistent: bool) -> list:
    worker = RenderWorker(0, 2, tmp_path)
    worker.start()
    try:
        out = []
        for spec in specs:
            spec = spec | {"render": spec["render"] | {"persistent_data": persistent}}
            out += [payload for kind, _, payload in worker.render_batch([spec], timeout_s=300) if kind == "result"]
    finally:
        worker.stop()
    return out


@pytest.mark.blender
@pytest.mark.parametrize(
    ("preset", "overrides"),
    [
        ("palm-scanner", {"scene.attacks.live_share": 0.0, "scene.attacks.types": {"print": 1.0, "screen": 1.0}}),
        ("products", {"scene.layouts": {"shelf": 1.0, "tabletop": 1.0}, "scene.products": [1, 2]}),
    ],
)
def test_a_spec_renders_the_same_after_other_specs_as_in_a_fresh_worker(
    preset: str, overrides: dict, tmp_path: Path
) -> None:
    """A stored spec reproduces its sample exactly, whatever its worker rendered before (textures, meshes and
    materials all change between specs), with ``render.persistent_data`` too: the worker drops what Cycles kept
    before each sample's first render (keeping it across specs made pixels differ by up to 20 / 255)."""
    config = load_config(preset, overrides={"resolution": 32, "render.spp": 2, "scene.attacks.source_resolution": 32,
                                            "scene.attacks.source_spp": 2, **overrides} if preset == "palm-scanner"
                         else {"resolution": 32, "render.spp": 2, **overrides})  # fmt: skip
    specs = [sample_spec(config, index) for index in range(3)]
    after_others = _images(specs, tmp_path, persistent=True)
    fresh = _images(specs[-1:], tmp_path, persistent=True)
    plain = _images(specs[-1:], tmp_path, persistent=False)
    assert len(after_others) == 3 and len(fresh) == 1
    assert not np.array_equal(after_others[0]["image"], after_others[-1]["image"])
    assert np.array_equal(after_others[-1]["image"], fresh[0]["image"])
    assert np.array_equal(plain[0]["image"], fresh[0]["image"])  # the RGB render is a fresh one either way
    if "nir" in fresh[0]:
        assert np.array_equal(after_others[-1]["nir"], fresh[0]["nir"])
