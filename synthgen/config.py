"""The job configuration: validated models, presets, YAML files and command-line overrides.

Precedence, lowest first: model defaults, the preset (``synthgen/presets/NAME.yaml``), the user's config file,
command-line flags. Every error names the field and the value, so the command line can print it on one line.
"""

from __future__ import annotations

import hashlib
import json
import os
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from synthgen.assets.user_assets import UserAssets
from synthgen.augment import AugmentConfig
from synthgen.config_fields import StrictModel
from synthgen.dataset.image_codec import ImageCodec
from synthgen.errors import UsageError
from synthgen.scenes.common.camera_model_config import CameraModelSettings
from synthgen.scenes.mix import MixScene, part_counts
from synthgen.scenes.registry import scene_kinds
from synthgen.scenes.tabletop.config import TabletopScene

# Cycles renders any size from 1 px; below 16 px labels are meaningless and above 8192 px a CPU render of one
# image takes hours, so both are treated as mistakes.
MIN_RESOLUTION = 16
MAX_RESOLUTION = 8192


RenderDevice = Literal["auto", "cpu", "cuda", "optix", "hip", "oneapi", "metal"]
DenoiserPrefilter = Literal["NONE", "FAST", "ACCURATE"]
DenoiserInput = Literal["RGB", "RGB_ALBEDO", "RGB_ALBEDO_NORMAL"]
DenoiserQuality = Literal["HIGH", "BALANCED", "FAST"]


class NirRenderSettings(StrictModel):
    """Render settings of the near-infrared capture where they differ from the RGB image's (None = the same).
    Its sample count is ``scene.nir.spp_share`` of ``render.spp``."""

    adaptive_threshold: float | None = Field(None, gt=0, le=1)
    denoise: bool | None = None
    denoiser_prefilter: DenoiserPrefilter | None = None
    max_bounces: int | None = Field(None, ge=0, le=64)
    diffuse_bounces: int | None = Field(None, ge=0, le=64)
    glossy_bounces: int | None = Field(None, ge=0, le=64)

    def spec(self) -> dict[str, Any]:
        return {key: value for key, value in self.model_dump().items() if value is not None}


class RenderSettings(StrictModel):
    """How Cycles renders and how render workers are run."""

    spp: int = Field(32, ge=1, le=4096, description="Cycles samples per pixel")
    adaptive_sampling: bool = True
    adaptive_threshold: float = Field(0.02, gt=0, le=1)
    adaptive_min_samples: int = Field(0, ge=0, le=4096, description="0 = Cycles' automatic minimum")
    denoise: bool = Field(True, description="OpenImageDenoise on the combined pass")
    denoiser_prefilter: DenoiserPrefilter = Field("ACCURATE", description="how the albedo/normal guides are cleaned")
    denoiser_input: DenoiserInput = Field("RGB_ALBEDO_NORMAL", description="the passes the denoiser is guided by")
    denoiser_quality: DenoiserQuality = "HIGH"
    # Light paths: Cycles ends a path at max_bounces or at its ray type's own limit, whichever comes first.
    max_bounces: int = Field(6, ge=0, le=64)
    diffuse_bounces: int = Field(4, ge=0, le=64)
    glossy_bounces: int = Field(4, ge=0, le=64)
    transmission_bounces: int = Field(12, ge=0, le=64)
    volume_bounces: int = Field(0, ge=0, le=64)
    transparent_bounces: int = Field(8, ge=0, le=64)
    clamp_direct: float = Field(0.0, ge=0, description="clamp of direct light samples; 0 = off")
    clamp_indirect: float = Field(10.0, ge=0, description="clamp of indirect light samples; 0 = off")
    caustics: bool = Field(True, description="reflective and refractive caustics")
    filter_glossy: float = Field(1.0, ge=0, le=10, description="blur of glossy after a diffuse bounce (less noise)")
    light_tree: bool = Field(True, description="Cycles' light tree for many-light sampling")
    scrambling_distance: float = Field(1.0, ge=0, le=1, description="1 = off; lower correlates pixel samples")
    persistent_data: bool = Field(
        False, description="Cycles keeps the scene between the renders of one sample (RGB -> NIR, a source "
        "capture); dropped before each sample, so pixels still reproduce from the spec"
    )  # fmt: skip
    nir: NirRenderSettings = NirRenderSettings()
    view_transform: Literal["AgX", "Standard", "Filmic", "Khronos PBR Neutral"] = "AgX"
    device: RenderDevice = Field("auto", description="auto: a GPU if Cycles lists one, else the CPU")
    workers_per_gpu: int = Field(1, ge=1, le=16, description="render workers per GPU (GPU devices only)")
    threads: int = Field(0, ge=0, description="Cycles threads per worker; 0 = cores / workers")
    batch_size: int = Field(4, ge=1, le=1000, description="specs sent to a worker at a time")
    timeout_s: float = Field(300.0, gt=0, description="a render or a worker start-up slower than this kills the worker")
    retries: int = Field(2, ge=0, le=10, description="retries of a batch after a worker crash or time-out")
    max_renders_per_worker: int = Field(200, ge=1, description="workers are recycled after this many renders")


# One config model per registered scene kind (plugins included), told apart by ``scene.type``; ``mix`` holds
# several of them (synthgen.scenes.mix).
SCENE_TYPES = (*scene_kinds(), "mix")
SceneConfig = Annotated[
    Union[(*(kind.config_model for kind in scene_kinds().values()), MixScene)],  # a union built at run time
    Field(discriminator="type"),
]


class DatasetSettings(StrictModel):
    renders_per_shard: int = Field(100, ge=1, le=100_000)
    row_group_rows: int = Field(100, ge=1, le=10_000)
    splits: dict[Literal["train", "val", "test"], float] = {"train": 0.8, "val": 0.1, "test": 0.1}
    image_codec: ImageCodec = Field(
        "pnm", description="pnm: fast to decode, about 1.4x the size of png; png: smallest, slow to decode"
    )

    @field_validator("splits")
    @classmethod
    def _ratios(cls, value: dict[str, float]) -> dict[str, float]:
        if any(v < 0 for v in value.values()) or abs(sum(value.values()) - 1.0) > 1e-6:
            raise ValueError(f"ratios must be >= 0 and sum to 1, got {value}")
        return value


class LabelPasses(StrictModel):
    """Extra per-pixel labels, each opt-in (docs/dataset-format.md: ``normals``, ``part_mask``)."""

    normals: bool = Field(False, description="surface normals in the camera frame (RGB image, n * 0.5 + 0.5)")
    parts: bool = Field(False, description="part segmentation (hand: palm, finger segments, nails, forearm; "
                        "product: body, label, cap)")  # fmt: skip
    palm_lines: bool = Field(False, description="hands: the palm's ground-truth crease and vein maps in image space")


class JobConfig(StrictModel):
    """Everything a render job needs. Stored in the manifest, so a dataset says how it was made."""

    preset: str | None = None
    seed: int = Field(0, ge=0, lt=2**63)
    num_renders: int = Field(24, ge=1, le=100_000_000)
    variants: int = Field(0, ge=0, le=1000, description="augmented rows added per render")
    out: str = Field("outputs/default", min_length=1, description="a folder, or a URL: file://, s3://, memory://")
    resolution: tuple[int, int] = (256, 256)
    workers: int = Field(1, ge=1, le=256)
    render: RenderSettings = RenderSettings()
    scene: SceneConfig = TabletopScene()
    dataset: DatasetSettings = DatasetSettings()
    augment: AugmentConfig = AugmentConfig()
    camera_model: CameraModelSettings = CameraModelSettings()
    assets: UserAssets = UserAssets()
    labels: LabelPasses = LabelPasses()

    @field_validator("out", mode="before")
    @classmethod
    def _path_to_text(cls, value: Any) -> Any:
        return os.fspath(value) if isinstance(value, os.PathLike) else value

    @field_validator("resolution", mode="before")
    @classmethod
    def _square_from_int(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return (value, value)
        if isinstance(value, str):
            return parse_resolution(value)
        return value

    @field_validator("resolution")
    @classmethod
    def _renderable(cls, value: tuple[int, int]) -> tuple[int, int]:
        for px in value:
            if not MIN_RESOLUTION <= px <= MAX_RESOLUTION:
                raise ValueError(f"each side must be {MIN_RESOLUTION}..{MAX_RESOLUTION} px, got {list(value)}")
        return value

    @field_validator("scene", mode="before")
    @classmethod
    def _scene_type_defaults_to_tabletop(cls, value: Any) -> Any:
        if isinstance(value, dict) and "type" not in value:
            return {"type": "tabletop", **value}
        return value

    @model_validator(mode="before")
    @classmethod
    def _default_renders_from_the_scene(cls, data: Any) -> Any:
        """A scene kind may set the default ``num_renders`` (hands: identities x samples_per_identity)."""
        if isinstance(data, dict) and "num_renders" not in data:
            scene = data.get("scene")
            kind = scene_kinds().get(scene.get("type")) if isinstance(scene, dict) else None
            renders = kind.config_model.default_num_renders(scene) if kind is not None else None
            if renders is not None:
                data = {**data, "num_renders": renders}
        return data

    @model_validator(mode="after")
    def _scene_covers_the_renders(self) -> JobConfig:
        capacity = self.scene.render_capacity()
        if capacity is not None and self.num_renders > capacity[0]:
            raise ValueError(f"num_renders={self.num_renders} exceeds {capacity[1]} = {capacity[0]}")
        return self

    @model_validator(mode="after")
    def _mix_parts_are_jobs(self) -> JobConfig:
        if isinstance(self.scene, MixScene):
            part_configs(self)  # each part as a job of its own: every part's settings checked now
        return self

    @model_validator(mode="after")
    def _variants_need_augmentation(self) -> JobConfig:
        if self.variants > 0 and self.augment.is_identity:
            raise ValueError(
                f"variants={self.variants} needs an augmentation preset other than 'none' (set augment.preset)"
            )
        return self

    def content_settings(self) -> dict[str, Any]:
        """Every field that changes what is rendered (what the fingerprint hashes); execution-only fields out."""
        data = self.model_dump(mode="json")
        for key in ("out", "workers", "preset"):
            data.pop(key)
        data["assets"].pop("base_dir")  # where the files are does not matter; their sha256 does
        if not self.assets.declared():  # datasets made before these settings existed keep their fingerprint
            data.pop("assets")
        if not any(data["labels"].values()):
            data.pop("labels")
        for key in (
            "threads", "batch_size", "timeout_s", "retries", "max_renders_per_worker", "device", "workers_per_gpu",
            "persistent_data",
        ):  # fmt: skip
            data["render"].pop(key)
        return data

    def content_fingerprint(self) -> str:
        """Hash of every field that changes what is rendered; execution-only fields are left out."""
        data = self.content_settings()
        blob = json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


_part_cache: dict[str, dict[str, JobConfig]] = {}


def part_configs(config: JobConfig) -> dict[str, JobConfig]:
    """A mixed job's parts, each as the job it would be alone: the job's settings with the part's scene (its
    preset's, then its own keys), its render overrides and ``num_renders`` = the part's share of the renders."""
    scene = config.scene
    assert isinstance(scene, MixScene)
    key = config.model_dump_json(exclude={"out", "preset"})
    if key in _part_cache:
        return _part_cache[key]
    job = config.model_dump(mode="json", exclude={"scene", "preset"})
    counts = part_counts(config.seed, scene.shares(), config.num_renders)
    parts = {}
    for name, part in scene.parts.items():
        where = f"scene.parts.{name}"
        preset = _read_preset(part.preset, f"{where}.preset") if part.preset else {}
        part_scene = _deep_merge(preset.get("scene", {}), part.scene)
        if part_scene.get("type") == "mix":
            raise UsageError(f"config: {where}.scene.type: a part cannot be a mix itself")
        data = job | {"scene": part_scene, "num_renders": max(1, counts[name])}
        data["render"] = _deep_merge(job["render"], part.render)
        if "camera_model" in preset:  # the part's camera is its preset's (a palm scanner's sensor, a phone's lens)
            data["camera_model"] = preset["camera_model"]
        try:
            parts[name] = JobConfig.model_validate(data)
        except ValidationError as exc:
            # Raised past pydantic (not a ValueError), so the message keeps the part's full dotted path.
            message = format_validation_error(exc, where)
            message = message.replace(f"{where}: (top level): ", f"{where}: ", 1).replace(f"{where}: ", f"{where}.", 1)
            message = message.replace(f"{where}.num_renders=", f"{where}: its share of the renders, ", 1)
            raise UsageError(f"config: {message}") from None
    if len(_part_cache) > 16:
        _part_cache.clear()
    _part_cache[key] = parts
    return parts


def settings_that_differ(old: dict[str, Any], new: dict[str, Any], prefix: str = "") -> list[str]:
    """Dotted keys whose values differ between two config dumps, e.g. ["seed", "render.spp"]."""
    keys = sorted(set(old) | set(new), key=lambda k: (k not in old or k not in new, k))
    differ = []
    for key in keys:
        a, b = old.get(key), new.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            differ += settings_that_differ(a, b, f"{prefix}{key}.")
        elif a != b:
            differ.append(f"{prefix}{key}")
    return differ


def parse_resolution(text: str) -> tuple[int, int] | str:
    """'256' -> (256, 256); '640x480' -> (640, 480); anything else is returned for pydantic to reject."""
    parts = text.lower().split("x")
    if len(parts) in (1, 2) and all(p.strip().isdigit() for p in parts):
        width = int(parts[0])
        return (width, int(parts[-1]))
    return text


def preset_names() -> list[str]:
    folder = resources.files("synthgen") / "presets"
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml"))


def _read_preset(name: str, field: str = "preset") -> dict[str, Any]:
    if name not in preset_names():
        raise UsageError(f"{field}: unknown preset {name!r} (choose from {', '.join(preset_names())})")
    text = (resources.files("synthgen") / "presets" / f"{name}.yaml").read_text()
    return yaml.safe_load(text) or {}


def _read_yaml_file(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise UsageError(f"--config: no such file {str(path)!r}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise UsageError(f"--config: {path} is not UTF-8 text (byte {exc.start}: {exc.reason})") from None
    except OSError as exc:
        raise UsageError(f"--config: cannot read {path} ({exc.strerror or exc})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise UsageError(f"--config: {path}{where} is not valid YAML ({getattr(exc, 'problem', exc)})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UsageError(f"--config: {path} must hold a mapping of settings, got {type(data).__name__}")
    return data


def _deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _other_scene_hint(loc: tuple[Any, ...]) -> str:
    """For ``scene.<key>`` of one scene type that another type has (``scene.nir`` on tabletop): which types do."""
    if len(loc) < 3 or loc[0] != "scene" or loc[1] not in SCENE_TYPES:
        return ""
    owners = [name for name, kind in scene_kinds().items() if loc[2] in kind.config_model.model_fields]
    if not owners:
        return ""
    presets = [name for name in preset_names() if _read_preset(name).get("scene", {}).get("type") in owners]
    what = "near-infrared capture" if loc[2] == "nir" else f"scene.{loc[2]}"
    return (
        f" for scene type {loc[1]!r}: {what} is for {' and '.join(owners)} scenes"
        f" (presets {', '.join(presets)}, or scene.type: {owners[0]})"
    )


def format_validation_error(exc: ValidationError, source: str = "config") -> str:
    """One line naming each bad field and its value."""
    parts = []
    for err in exc.errors():
        # pydantic names the chosen scene type inside the location (scene.hands.camera): users never wrote it.
        loc = [p for i, p in enumerate(err["loc"]) if not (i == 1 and err["loc"][0] == "scene" and p in SCENE_TYPES)]
        field = ".".join(str(p) for p in loc) or "(top level)"
        if err["type"] == "extra_forbidden":
            parts.append(f"{field}: unknown key{_other_scene_hint(err['loc'])}")
            continue
        message = err["msg"].removeprefix("Value error, ")
        value = err.get("input")
        inner, sep, rest = message.partition(": ")
        if sep and isinstance(value, dict) and inner in value:  # a model-level check naming one of its fields
            field, message, value = (f"{field}.{inner}" if loc else inner), rest, {}  # rest holds the value
        shown = "" if isinstance(value, dict) else f" (got {value!r})"
        parts.append(f"{field}: {message}{shown}")
    return f"{source}: " + "; ".join(parts)


# Command-line flags and flow parameters -> dotted config keys (one map for both).
FLAG_KEYS = {
    "out": "out",
    "num_renders": "num_renders",
    "variants": "variants",
    "augment": "augment.preset",
    "resolution": "resolution",
    "spp": "render.spp",
    "seed": "seed",
    "workers": "workers",
}


def flag_overrides(**flags: Any) -> dict[str, Any]:
    """Config overrides from flag values by flag name (``spp=16`` -> ``{"render.spp": 16}``); None means unset."""
    unknown = sorted(set(flags) - set(FLAG_KEYS))
    if unknown:
        raise ValueError(f"unknown flags {unknown}")
    return {FLAG_KEYS[name]: value for name, value in flags.items()}


def load_config(
    preset: str | None = None,
    config_file: Path | None = None,
    overrides: dict[str, Any] | None = None,
) -> JobConfig:
    """Builds the job config from a preset and/or a YAML file plus overrides (dotted keys allowed)."""
    data: dict[str, Any] = {}
    file_data = _read_yaml_file(config_file) if config_file else {}
    preset = preset or file_data.get("preset")
    if preset is not None:
        if not isinstance(preset, str):
            raise UsageError(f"preset: must be a preset name, got {preset!r}")
        data = _read_preset(preset)
        data["preset"] = preset
    data = _deep_merge(data, file_data)
    if config_file and isinstance(data.get("assets"), dict) and "base_dir" not in data["assets"]:
        data["assets"] = {**data["assets"], "base_dir": str(Path(config_file).resolve().parent)}
    if preset is not None:
        data["preset"] = preset
    for dotted, value in (overrides or {}).items():
        if value is None:
            continue
        node = data
        *parents, leaf = dotted.split(".")
        for depth, key in enumerate(parents):
            node = node.setdefault(key, {})
            if not isinstance(node, dict):
                where = ".".join(parents[: depth + 1])
                raise UsageError(
                    f"{dotted}: {where} is a {type(node).__name__} ({node!r}), not a group of settings; "
                    f"set the whole value instead (--set {where}=...)"
                )
        node[leaf] = value
    if preset is not None and "out" not in data:
        data["out"] = f"outputs/{preset}"
    try:
        return JobConfig.model_validate(data)
    except ValidationError as exc:
        raise UsageError(format_validation_error(exc)) from None
