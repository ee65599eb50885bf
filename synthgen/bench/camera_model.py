"""The camera and sensor model, before and after, in one run: render cost, clipping, subject brightness, sheets.

``python -m synthgen.bench.camera_model --preset palm-scanner --renders 8 --size 256 --out DIR``

Each render's spec is rendered twice by one worker, alternately: without ``camera_model`` (the ideal camera and
the scene's own exposure) and with it (metering, depth of field, motion blur, then lens and sensors after the
render). Costs are the worker's CPU seconds per sample (every Cycles thread; robust to other load), so the
ratio compares like with like. Writes ``figures.json`` and a contact sheet (before above after, NIR below).
"""

from __future__ import annotations

import argparse
import copy
import json
import logging
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from synthgen.bench.machine import machine_info
from synthgen.config import load_config
from synthgen.pipeline.render_pool import RenderResult, RenderWorker
from synthgen.pipeline.rows import clean_sample
from synthgen.pipeline.specs import sample_spec
from synthgen.scenes.common.sensor_model import LUMINANCE, clipped_fractions

log = logging.getLogger(__name__)


def _render(worker: RenderWorker, spec: dict[str, Any]) -> dict[str, Any]:
    results = []
    for kind, _, payload in worker.render_batch([spec], timeout_s=3600.0):
        if kind != "result":
            raise RuntimeError(f"render {spec['render_index']} failed in the worker:\n{payload}")
        results.append(payload)
    return results[0]


def _subject_luma(image: np.ndarray, mask: np.ndarray) -> float | None:
    subject = mask == 1
    return float((image[subject].astype(np.float64) @ LUMINANCE).mean()) if subject.any() else None


def _tiles(images: list[np.ndarray], size: int) -> Image.Image:
    row = Image.new("RGB", (size * len(images), size))
    for i, image in enumerate(images):
        tile = Image.fromarray(image).convert("RGB").resize((size, size), Image.Resampling.BILINEAR)
        row.paste(tile, (i * size, 0))
    return row


def compare(
    preset: str, renders: int, size: int, out: Path, threads: int = 2, overrides: dict[str, Any] | None = None
) -> dict[str, Any]:
    config = load_config(preset, overrides={"resolution": size, **(overrides or {})})
    specs = [sample_spec(config, index) for index in range(renders)]
    figures: dict[str, dict[str, list[float]]] = {"before": {}, "after": {}}
    images: dict[str, list[np.ndarray]] = {"before": [], "after": [], "nir_before": [], "nir_after": []}
    with tempfile.TemporaryDirectory(prefix="synthgen-camera-bench-") as log_dir:
        worker = RenderWorker(0, threads, Path(log_dir))
        worker.start()
        try:
            _render(worker, specs[0])  # warm-up: builds the scene kind once
            for index, spec in enumerate(specs):
                log.info("camera model: %s render %d/%d", preset, index + 1, renders)
                before_spec = copy.deepcopy(spec)
                before_spec.pop("camera_model", None)
                for name, current in (("before", before_spec), ("after", spec)):
                    output = _render(worker, current)
                    started = time.perf_counter()
                    sample = clean_sample(RenderResult(current, output))
                    post_s = time.perf_counter() - started
                    row = figures[name]
                    row.setdefault("cpu_s", []).append(output["timings"]["cpu_s"])
                    row.setdefault("render_s", []).append(output["timings"]["render_s"])
                    row.setdefault("post_s", []).append(post_s)
                    high, low = clipped_fractions(sample.image)
                    row.setdefault("clipped_255", []).append(high)
                    row.setdefault("clipped_0", []).append(low)
                    luma = _subject_luma(sample.image, sample.mask)
                    if luma is not None:
                        row.setdefault("subject_luma", []).append(luma)
                    measured = output.get("camera_measured", {})
                    if "metered_ev" in measured:
                        row.setdefault("metered_ev", []).append(measured["metered_ev"])
                    images[name].append(sample.image)
                    if sample.nir is not None:
                        images[f"nir_{name}"].append(sample.nir)
                        row.setdefault("nir_clipped_255", []).append(clipped_fractions(sample.nir)[0])
        finally:
            worker.stop()
    summary = {
        name: {key: round(float(np.mean(values)), 4) for key, values in row.items()} for name, row in figures.items()
    }
    summary["cpu_ratio"] = round(summary["after"]["cpu_s"] / summary["before"]["cpu_s"], 3)
    summary["render_ratio"] = round(summary["after"]["render_s"] / summary["before"]["render_s"], 3)
    summary["subject_luma_range"] = {
        name: [round(min(row.get("subject_luma", [0])), 1), round(max(row.get("subject_luma", [0])), 1)]
        for name, row in figures.items()
    }
    result = {"preset": preset, "renders": renders, "size": size, "spp": config.render.spp, **summary,
              "machine": machine_info()}  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    rows = [_tiles(images["before"], 256), _tiles(images["after"], 256)]
    if images["nir_before"]:
        rows += [_tiles(images["nir_before"], 256), _tiles(images["nir_after"], 256)]
    sheet = Image.new("RGB", (rows[0].width, 256 * len(rows)))
    for i, row in enumerate(rows):
        sheet.paste(row, (0, 256 * i))
    sheet.save(out / f"{preset}-before-after.png")
    (out / f"{preset}-figures.json").write_text(json.dumps(result, indent=2))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", required=True)
    parser.add_argument("--renders", type=int, default=8)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--live", action="store_true", help="hands scenes: live captures only (no attacks)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    overrides = {"scene.attacks.live_share": 1.0} if args.live else None
    result = compare(args.preset, args.renders, args.size, args.out, args.threads, overrides)
    sys.stdout.write(json.dumps({k: v for k, v in result.items() if k != "machine"}, indent=2) + "\n")


if __name__ == "__main__":
    main()
