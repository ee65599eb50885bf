"""Render worker process: imports Blender once, builds each scene kind once, renders batches of specs.

Started by ``synthgen.pipeline.render_pool`` as ``python -m blender_scenes.worker --fd-in R --fd-out W``. Messages are
pickled over those two pipes (Blender prints its own progress on stdout, so stdout cannot carry them):

- in:  ("render", [spec, ...]) or ("stop",)
- out: ("ready", info) once; per spec ("result", render_index, result) or ("error", render_index, traceback);
  ("batch_done",) after each batch.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
import traceback
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import bpy

from blender_scenes.builder import SceneBuilder
from blender_scenes.common import label_passes
from blender_scenes.common.render_setup import (
    apply_camera_optics,
    apply_render_settings,
    capture_nir,
    configure_engine,
    render_to_arrays,
    reset_camera_optics,
    start_fresh_renders,
)
from blender_scenes.common.stage import Stage
from blender_scenes.common.world_assets import UserBackgrounds
from blender_scenes.devices import use_device
from blender_scenes.registry import builder_class
from synthgen.scenes.common.spec_header import SPEC_SCHEMA_VERSION

log = logging.getLogger("blender_scenes.worker")


class SceneRenderer:
    """One Blender scene per worker process; each scene kind's builder is made once and changed per spec."""

    def __init__(self, threads: int, scratch: Path, device_type: str = "CPU", gpu_index: int | None = None) -> None:
        bpy.ops.wm.read_factory_settings(use_empty=True)
        self.scene = bpy.context.scene
        configure_engine(self.scene, threads)
        self.device = use_device(self.scene, device_type, gpu_index)
        self.stage = Stage(self.scene)
        self.user_backgrounds = UserBackgrounds(self.scene)
        self.builders: dict[str, SceneBuilder] = {}
        self.scratch = scratch

    def _builder(self, scene_type: str) -> SceneBuilder:
        if scene_type not in self.builders:  # imported lazily: a tabletop worker never loads the hand asset
            self.builders[scene_type] = builder_class(scene_type)(self.scene, self.stage, self.scratch)
        for name, builder in self.builders.items():
            builder.set_visible(name == scene_type)
        return self.builders[scene_type]

    def render(self, spec: dict[str, Any]) -> dict[str, Any]:
        if spec.get("spec_version") != SPEC_SCHEMA_VERSION:
            raise ValueError(
                f"spec_version: this worker renders version {SPEC_SCHEMA_VERSION}, got {spec.get('spec_version')!r}"
            )
        started = time.perf_counter()
        cpu_started = time.process_time()  # every thread of this process: Cycles' too
        builder = self._builder(spec["scene_type"])
        apply_render_settings(self.scene, spec["render"])
        reset_camera_optics(self.scene)
        builder.apply(spec)
        if spec.get("user_backgrounds"):
            # A hand's backdrop: a products scene's hand (hand_scene), a hands scene's (the attack builder's hands).
            hand = getattr(builder, "hand_scene", None) or getattr(builder, "hands", None) or builder
            backdrop = getattr(hand, "backdrop", None)
            self.user_backgrounds.apply(
                spec["user_backgrounds"], getattr(builder, "ground", None), [backdrop] * bool(backdrop)
            )
        else:
            self.user_backgrounds.apply(None, None)
        label_passes.prepare(self.scene, spec)
        bpy.context.view_layer.update()
        model = spec.get("camera_model")
        focus = builder.focus_points() if model else None
        measured = apply_camera_optics(self.scene, self.stage.camera, model, focus)
        measured["exposure_ev"] = self.scene.view_settings.exposure
        applied = time.perf_counter()
        # The label passes render the same scene again: Cycles keeps its data (BVH, images) for that render.
        keep = spec["render"].get("persistent_data", False) or bool(spec.get("label_passes"))
        start_fresh_renders(self.scene, keep)
        passes = render_to_arrays(self.scene, self.scratch, model.get("metering") if model else None)
        if "metered_ev" in passes:
            measured["metered_ev"] = float(passes["metered_ev"])
            measured["exposure_ev"] += measured["metered_ev"]
        # A builder may render inside apply() (an attack's source capture): that is Cycles time too.
        render_s = time.perf_counter() - applied + builder.render_s_in_apply
        result = {
            "image": passes["image"],
            "object_index": passes["object_index"],
            "depth": passes["depth"],
            "camera": self.stage.camera_record(),
            **builder.labels(),
            **builder.pass_labels(passes, spec),
        }
        if model:
            result["camera_measured"] = measured
        if spec.get("label_passes"):
            labels_started = time.perf_counter()
            result |= label_passes.render(self.scene, spec, self.scratch)
            render_s += time.perf_counter() - labels_started
        nir = spec.get("nir")
        if nir and nir.get("enabled"):
            nir_started = time.perf_counter()
            result["nir"] = capture_nir(self.scene, builder, spec, self.scratch)
            render_s += time.perf_counter() - nir_started
        result["timings"] = {
            "apply_s": applied - started - builder.render_s_in_apply,
            "render_s": render_s,
            "cpu_s": time.process_time() - cpu_started,  # CPU seconds of the whole sample (apply + renders)
        }
        return result


def serve(
    conn_in: Connection,
    conn_out: Connection,
    threads: int,
    device_type: str = "CPU",
    gpu_index: int | None = None,
    scratch_parent: str | None = None,
) -> None:
    started = time.perf_counter()
    # Inside the pool's folder (--scratch), which the pool removes even when this process is killed.
    with tempfile.TemporaryDirectory(prefix="synthgen-worker-", dir=scratch_parent) as scratch:
        renderer = SceneRenderer(threads, Path(scratch), device_type, gpu_index)
        ready = {
            "startup_s": time.perf_counter() - started,
            "blender": bpy.app.version_string,
            "device": renderer.device,
        }
        conn_out.send(("ready", ready))
        while True:
            try:
                message = conn_in.recv()
            except EOFError:  # the parent went away: nothing left to do
                return
            if message[0] == "stop":
                return
            for spec in message[1]:
                try:
                    conn_out.send(("result", spec["render_index"], renderer.render(spec)))
                except Exception:
                    conn_out.send(("error", spec["render_index"], traceback.format_exc()))
            conn_out.send(("batch_done",))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fd-in", type=int, required=True)
    parser.add_argument("--fd-out", type=int, required=True)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="CPU", help="CPU or a Cycles GPU type (CUDA, OPTIX, HIP, ONEAPI, METAL)")
    parser.add_argument("--gpu-index", type=int, default=None, help="which GPU of that type (default: all)")
    parser.add_argument("--scratch", default=None, help="folder for scratch files (the pool removes it)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s worker %(levelname)s %(message)s")
    conn_in, conn_out = Connection(args.fd_in, writable=False), Connection(args.fd_out, readable=False)
    serve(conn_in, conn_out, args.threads, args.device, args.gpu_index, args.scratch)


if __name__ == "__main__":
    main()
