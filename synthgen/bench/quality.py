"""``synthgen bench --quality``: what each render setting costs and what it buys, per scene kind, in one run.

For every scene kind a few fixed specs are rendered by one worker at the preset's settings ("today"), at each
candidate setting and at a high-sample reference (no adaptive sampling, no denoiser, the preset's light paths).
Each candidate gets CPU seconds per sample (the worker process's CPU time: every Cycles thread, robust to other
load on the machine) and SSIM / PSNR against the reference, RGB and NIR separately. The noise floor is two
references of the same spec with different Cycles seeds: no setting can score above it.

Attack kinds warm up first, so their source capture (rendered once per identity and worker in a job) is not
counted in the attack's own figures; the ``source`` kind measures the source capture itself.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from synthgen.bench.machine import machine_info
from synthgen.config import JobConfig, load_config
from synthgen.pipeline.render_pool import RenderWorker
from synthgen.pipeline.specs import sample_spec
from synthgen.scenes.hands.attacks.plan import source_capture_spec

log = logging.getLogger(__name__)

# Scene kind -> (preset, config overrides). "source" is the victim capture an attack shows, rendered alone.
KINDS: dict[str, tuple[str, dict[str, Any]]] = {
    "palm-live": ("palm-scanner", {"scene.attacks.live_share": 1.0}),
    "palm-print": ("palm-scanner", {"scene.attacks.live_share": 0.0, "scene.attacks.types": {"print": 1.0}}),
    "palm-screen": ("palm-scanner", {"scene.attacks.live_share": 0.0, "scene.attacks.types": {"screen": 1.0}}),
    "palm-silicone": ("palm-scanner", {"scene.attacks.live_share": 0.0, "scene.attacks.types": {"silicone": 1.0}}),
    "palm-cutout": ("palm-scanner", {"scene.attacks.live_share": 0.0, "scene.attacks.types": {"cutout": 1.0}}),
    "source": ("palm-scanner", {}),
    "hands": ("hands", {}),
    "shelf": ("products", {"scene.layouts": {"shelf": 1.0}}),
    "table": ("products", {"scene.layouts": {"tabletop": 1.0}}),
    "hand-held": ("hand-held", {}),
    "tabletop": ("tabletop", {"render.spp": 32}),  # the former quickstart scene at its settings
}

# Light paths a skin / product scene needs: skin is subsurface (no transmission), plastics and glass jars are
# glossy; caustics are noise the denoiser smears. Cycles' defaults are 4 / 4 / 12 / 8 capped by max_bounces 6.
LEAN_PATHS = {"max_bounces": 4, "diffuse_bounces": 2, "glossy_bounces": 2, "transmission_bounces": 4,
              "transparent_bounces": 4, "caustics": False}  # fmt: skip
# Pixel-neutral or nearly: persistent data keeps the scene in Cycles between renders (the NIR capture reuses the
# RGB render's), and with the few lights of these scenes the light tree costs more than it saves.
CHEAP = {"persistent_data": True, "light_tree": False}


@dataclass(frozen=True)
class Candidate:
    """Render settings tried against today's: overrides of ``spec.render`` and a scale of the sample counts."""

    name: str
    render: dict[str, Any] = field(default_factory=dict)
    spp_scale: float = 1.0
    nir_spp_scale: float | None = None  # None: as spp_scale


CANDIDATES: tuple[Candidate, ...] = (
    Candidate("today"),
    # One setting at a time.
    Candidate("paths", LEAN_PATHS),
    Candidate("prefilter-fast", {"denoiser_prefilter": "FAST"}),
    Candidate("denoise-balanced", {"denoiser_quality": "BALANCED"}),
    Candidate("albedo-only", {"denoiser_input": "RGB_ALBEDO"}),
    Candidate("light-tree-off", {"light_tree": False}),
    Candidate("persistent", {"persistent_data": True}),
    Candidate("scrambling-0.5", {"scrambling_distance": 0.5}),
    Candidate("adaptive-0.05", {"adaptive_threshold": 0.05}),
    Candidate("spp/2", spp_scale=0.5),
    Candidate("spp/4", spp_scale=0.25),
    # Combinations.
    Candidate("lean", LEAN_PATHS | {"denoiser_prefilter": "FAST"}, spp_scale=0.5),
    Candidate("cheap", CHEAP),
    Candidate("cheap+spp/2", CHEAP, spp_scale=0.5),
    Candidate("cheap+spp/2+balanced", CHEAP | {"denoiser_quality": "BALANCED"}, spp_scale=0.5),
    Candidate("cheap+spp*3/8", CHEAP, spp_scale=0.375),
    Candidate("cheap+spp/2+nir/4", CHEAP, spp_scale=0.5, nir_spp_scale=0.25),
    # What the palm-scanner and hands presets now use (no persistent data: it breaks exact reproduction).
    Candidate("no-tree+spp*3/8", {"light_tree": False}, spp_scale=0.375),
    Candidate("no-tree+spp/2+balanced", {"light_tree": False, "denoiser_quality": "BALANCED"}, spp_scale=0.5),
    Candidate("no-tree+spp/4", {"light_tree": False}, spp_scale=0.25),
    Candidate("cheap+spp*3/8 (v2)", CHEAP, spp_scale=0.375),  # persistent data within a sample only
)


@dataclass(frozen=True)
class QualitySettings:
    size: int = 128
    specs: int = 2
    reference_spp: int = 512
    kinds: tuple[str, ...] = tuple(KINDS)
    candidates: tuple[Candidate, ...] = CANDIDATES
    threads: int = 0  # 0 = every core


def kind_config(kind: str, size: int) -> JobConfig:
    preset, overrides = KINDS[kind]
    return load_config(preset, overrides={"resolution": size, **overrides})


def kind_specs(kind: str, config: JobConfig, count: int) -> list[dict[str, Any]]:
    """The fixed specs of a kind: its first renders (source: the source captures of the first identities)."""
    if kind == "source":
        specs = []
        for identity in range(count):
            spec = source_capture_spec(config, identity, nir=False)
            # The bench size applies to the capture too (in a job it is scene.attacks.source_resolution).
            spec["render"] = spec["render"] | {"resolution": list(config.resolution)}
            specs.append(spec)
        return specs
    return [sample_spec(config, index) for index in range(count)]


def with_settings(
    spec: dict[str, Any], render: dict[str, Any], spp_scale: float, nir_spp_scale: float
) -> dict[str, Any]:
    """``spec`` rendered with other settings: ``render`` over its own ("nir" merged), sample counts scaled."""
    base = spec["render"]
    merged = base | render | {"nir": base.get("nir", {}) | render.get("nir", {})}
    merged["spp"] = max(1, round(base["spp"] * spp_scale))
    out = spec | {"render": merged}
    if spec.get("nir", {}).get("enabled"):
        out["nir"] = spec["nir"] | {"spp": max(1, round(spec["nir"]["spp"] * nir_spp_scale))}
    return out


def reference_of(spec: dict[str, Any], spp: int, seed_offset: int = 0) -> dict[str, Any]:
    """The converged image of ``spec`` at its own light paths: many samples, no adaptive stop, no denoiser."""
    render = spec["render"] | {"spp": spp, "adaptive_sampling": False, "denoise": False,
                               "cycles_seed": (spec["render"]["cycles_seed"] + seed_offset) & 0x7FFFFFFF}  # fmt: skip
    render["nir"] = {k: v for k, v in spec["render"].get("nir", {}).items() if k in ("max_bounces",)}
    out = spec | {"render": render}
    if spec.get("nir", {}).get("enabled"):
        out["nir"] = spec["nir"] | {"spp": spp}
    return out


def image_scores(image: np.ndarray, reference: np.ndarray) -> tuple[float, float]:
    """(SSIM, PSNR dB) of a uint8 image against the reference (RGB: per channel, averaged)."""
    channel_axis = -1 if image.ndim == 3 else None
    ssim = structural_similarity(reference, image, data_range=255, channel_axis=channel_axis)
    # Identical images have an infinite PSNR; 99 dB stands for it (JSON has no infinity).
    psnr = 99.0 if np.array_equal(image, reference) else peak_signal_noise_ratio(reference, image, data_range=255)
    return float(ssim), float(min(psnr, 99.0))


def _render(worker: RenderWorker, spec: dict[str, Any]) -> dict[str, Any]:
    results = []
    for kind, _, payload in worker.render_batch([spec], timeout_s=3600.0):  # read to the batch's end
        if kind != "result":
            raise RuntimeError(f"render {spec['render_index']} failed in the worker:\n{payload}")
        results.append(payload)
    return results[0]


def _mean(values: list[float]) -> float | None:
    return round(float(np.mean(values)), 4) if values else None


def bench_kind(kind: str, settings: QualitySettings, log_dir: Path) -> dict[str, Any]:
    config = kind_config(kind, settings.size)
    specs = kind_specs(kind, config, settings.specs)
    threads = settings.threads or os.cpu_count() or 1
    worker = RenderWorker(0, threads, log_dir)
    worker.start()
    figures: dict[str, dict[str, list[float]]] = {c.name: {} for c in settings.candidates}
    try:
        _render(worker, specs[0])  # warm-up: builds the scene, the SKUs' artwork, an attack's source capture
        references = []
        for index, spec in enumerate(specs):
            log.info("quality: %s spec %d/%d, reference at %d spp", kind, index + 1, len(specs), settings.reference_spp)
            reference = _render(worker, reference_of(spec, settings.reference_spp))
            references.append(reference)
            if index == 0:  # the noise floor: the same reference with another Cycles seed
                other = _render(worker, reference_of(spec, settings.reference_spp, seed_offset=7919))
                noise = _scores(other, reference)
            for candidate in settings.candidates:
                nir_scale = candidate.nir_spp_scale if candidate.nir_spp_scale is not None else candidate.spp_scale
                output = _render(worker, with_settings(spec, candidate.render, candidate.spp_scale, nir_scale))
                row = figures[candidate.name]
                row.setdefault("cpu_s", []).append(output["timings"]["cpu_s"])
                row.setdefault("render_s", []).append(output["timings"]["render_s"])
                for key, value in _scores(output, reference).items():
                    row.setdefault(key, []).append(value)
        reference_cpu = _mean([r["timings"]["cpu_s"] for r in references])
    finally:
        worker.stop()
    today_cpu = float(np.mean(figures["today"]["cpu_s"]))
    rows = {}
    for name, row in figures.items():
        rows[name] = {key: _mean(values) for key, values in row.items()} | {
            "cost_vs_today": round(float(np.mean(row["cpu_s"])) / today_cpu, 3)
        }
    return {
        "kind": kind,
        "specs": len(specs),
        "reference_cpu_s": reference_cpu,
        "noise_floor": noise,
        "candidates": rows,
    }


def _scores(output: dict[str, Any], reference: dict[str, Any]) -> dict[str, float]:
    ssim, psnr = image_scores(output["image"], reference["image"])
    scores = {"ssim_rgb": ssim, "psnr_rgb": psnr}
    if "nir" in output and "nir" in reference:
        scores["ssim_nir"], scores["psnr_nir"] = image_scores(output["nir"], reference["nir"])
    return {key: round(value, 4) for key, value in scores.items()}


def run_quality(settings: QualitySettings) -> dict[str, Any]:
    load_before = os.getloadavg()[0]
    kinds = []
    with tempfile.TemporaryDirectory(prefix="synthgen-quality-") as logs:
        for kind in settings.kinds:
            kinds.append(bench_kind(kind, settings, Path(logs)))
            # Each kind's figures as they come: a long run stopped half-way keeps what it measured.
            log.info("quality: %s done %s", kind, json.dumps(kinds[-1]))
    return {
        "benchmark": "quality",
        "size": settings.size,
        "specs_per_kind": settings.specs,
        "reference_spp": settings.reference_spp,
        "machine": machine_info(),
        "kinds": kinds,
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def format_quality_table(result: dict[str, Any]) -> str:
    lines = [
        f"synthgen bench --quality: {result['size']} px, {result['specs_per_kind']} specs per kind, reference "
        f"{result['reference_spp']} spp, load average {result['load_average']}",
        f"{'kind':<14} {'setting':<21} {'CPU s':>7} {'x today':>8} {'SSIM rgb':>9} {'PSNR rgb':>9} "
        f"{'SSIM nir':>9} {'PSNR nir':>9}",
    ]

    def cell(value: float | None, fmt: str) -> str:
        return format(value, fmt) if value is not None else "-"

    for kind in result["kinds"]:
        floor = kind["noise_floor"]
        lines.append(
            f"{kind['kind']:<14} {'noise floor':<21} {cell(kind['reference_cpu_s'], '7.2f')} {'':>8} "
            f"{cell(floor.get('ssim_rgb'), '9.4f')} {cell(floor.get('psnr_rgb'), '9.2f')} "
            f"{cell(floor.get('ssim_nir'), '9.4f')} {cell(floor.get('psnr_nir'), '9.2f')}"
        )
        for name, row in kind["candidates"].items():
            lines.append(
                f"{'':<14} {name:<21} {cell(row['cpu_s'], '7.3f')} {cell(row['cost_vs_today'], '8.2f')} "
                f"{cell(row.get('ssim_rgb'), '9.4f')} {cell(row.get('psnr_rgb'), '9.2f')} "
                f"{cell(row.get('ssim_nir'), '9.4f')} {cell(row.get('psnr_nir'), '9.2f')}"
            )
    return "\n".join(lines)
