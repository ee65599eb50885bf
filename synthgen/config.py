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
from typing import Annotated, Any, Literal, get_args

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from synthgen.augment import AugmentConfig
from synthgen.config_fields import FloatRange, StrictModel, check_range, check_weights
from synthgen.dataset.image_codec import ImageCodec
from synthgen.errors import UsageError
from synthgen.scenes.hands.attacks.config import AttackSampling

# Cycles renders any size from 1 px; below 16 px labels are meaningless and above 8192 px a CPU render of one
# image takes hours, so both are treated as mistakes.
MIN_RESOLUTION = 16
MAX_RESOLUTION = 8192


class RenderSettings(StrictModel):
    """How Cycles renders (CPU) and how render workers are run."""

    spp: int = Field(32, ge=1, le=4096, description="Cycles samples per pixel")
    adaptive_sampling: bool = True
    adaptive_threshold: float = Field(0.02, gt=0, le=1)
    denoise: bool = Field(True, description="OpenImageDenoise on the combined pass")
    max_bounces: int = Field(6, ge=0, le=64)
    view_transform: Literal["AgX", "Standard", "Filmic", "Khronos PBR Neutral"] = "AgX"
    threads: int = Field(0, ge=0, description="Cycles threads per worker; 0 = cores / workers")
    batch_size: int = Field(4, ge=1, le=1000, description="specs sent to a worker at a time")
    timeout_s: float = Field(300.0, gt=0, description="a render slower than this kills its worker")
    retries: int = Field(2, ge=0, le=10, description="retries of a batch after a worker crash or time-out")
    max_renders_per_worker: int = Field(200, ge=1, description="workers are recycled after this many renders")


class CameraSampling(StrictModel):
    focal_mm: FloatRange = (35.0, 70.0)
    sensor_mm: float = Field(36.0, gt=0)
    elevation_deg: FloatRange = (20.0, 65.0)
    fill: FloatRange = Field((0.6, 0.95), description="share of the field of view the objects' bounding sphere fills")
    roll_deg: FloatRange = (-8.0, 8.0)

    _ranges = field_validator("focal_mm", "elevation_deg", "fill", "roll_deg")(check_range)


class LightSampling(StrictModel):
    count: tuple[int, int] = (1, 3)
    power_w: FloatRange = Field((15.0, 120.0), description="area light power at 1 m (scaled by distance squared)")
    kelvin: FloatRange = (2800.0, 7500.0)
    world_strength: FloatRange = (0.05, 0.4)
    sky_share: float = Field(0.4, ge=0, le=1, description="share of scenes lit by a daylight sky with a sun")
    sky_strength: FloatRange = Field((0.03, 0.1), description="strength of the physical sky (and its sun)")
    sun_elevation_deg: FloatRange = (10.0, 70.0)
    point_share: float = Field(0.0, ge=0, le=1, description="share of lights that are point lights (bulbs, lamps)")
    point_radius_m: FloatRange = Field((0.005, 0.05), description="point light radius (shadow softness)")

    _ranges = field_validator(
        "count", "power_w", "kelvin", "world_strength", "sky_strength", "sun_elevation_deg", "point_radius_m"
    )(check_range)


class TabletopScene(StrictModel):
    """Product-like objects on a textured surface (the foundation scene; ``kind`` = "object")."""

    type: Literal["tabletop"] = "tabletop"
    objects: tuple[int, int] = (1, 3)
    shapes: list[Literal["box", "cylinder", "bottle"]] = ["box", "cylinder", "bottle"]
    surfaces: list[Literal["wood", "tiles", "concrete", "fabric", "marble"]] = [
        "wood",
        "tiles",
        "concrete",
        "fabric",
        "marble",
    ]
    camera: CameraSampling = CameraSampling()
    lights: LightSampling = LightSampling()

    @field_validator("objects")
    @classmethod
    def _objects_range(cls, value: tuple[int, int]) -> tuple[int, int]:
        check_range(value)
        if value[0] < 1 or value[1] > 8:
            raise ValueError(f"must lie within [1, 8], got {list(value)}")
        return value

    @field_validator("shapes", "surfaces")
    @classmethod
    def _not_empty(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("must name at least one")
        return value


class HandCameraSampling(StrictModel):
    """Palm mode aims at the palm along its normal (a palm scanner); orbit mode views the hand from anywhere."""

    mode: Literal["palm", "orbit"] = "palm"
    focal_mm: FloatRange = (24.0, 40.0)
    sensor_mm: float = Field(36.0, gt=0)
    tilt_deg: FloatRange = Field((0.0, 20.0), description="palm mode: angle between the view and the palm normal")
    fill: FloatRange = Field((0.75, 0.95), description="share of the field of view the hand's extent fills")
    roll_deg: FloatRange = (-20.0, 20.0)
    min_distance_m: float = Field(0.08, gt=0)
    exposure_ev: FloatRange = Field(
        (-1.0, 0.5), description="film exposure in stops (RGB only): the camera's exposure setting and its error"
    )

    _ranges = field_validator("focal_mm", "tilt_deg", "fill", "roll_deg", "exposure_ev")(check_range)


class NirSettings(StrictModel):
    """A monochrome near-infrared capture lit by the sensor's own LEDs, rendered beside the RGB image."""

    enabled: bool = False
    power_w_at_1m: FloatRange = Field((5.0, 9.0), description="LED power, scaled by distance squared")
    spp_share: float = Field(0.5, gt=0, le=1, description="NIR samples per pixel as a share of render.spp")
    ambient: FloatRange = Field((0.0, 0.02), description="world light strength during the NIR capture")

    _ranges = field_validator("power_w_at_1m", "ambient")(check_range)


class HandsScene(StrictModel):
    """Posed MakeHuman hands of seeded identities, before a backdrop (``kind`` = "hand")."""

    type: Literal["hands"] = "hands"
    identities: int = Field(100, ge=1, le=10_000_000, description="distinct hand identities")
    samples_per_identity: int = Field(10, ge=1, le=100_000)
    pose_families: dict[str, float] = Field(
        {"open_palm": 3.0, "relaxed": 1.0, "pointing": 1.0, "pinch": 1.0, "fist": 1.0, "grasp": 1.0, "natural": 2.0},
        description="relative weights of the pose families",
    )
    camera: HandCameraSampling = HandCameraSampling()
    lights: LightSampling = LightSampling(power_w=(8.0, 50.0), point_share=0.35)
    backdrops: list[Literal["wood", "tiles", "concrete", "fabric", "marble"]] = [
        "wood",
        "tiles",
        "concrete",
        "fabric",
        "marble",
    ]
    backdrop_distance_m: FloatRange = (0.15, 0.8)
    world_only_share: float = Field(0.15, ge=0, le=1, description="share of samples with no backdrop")
    nir: NirSettings = NirSettings()
    attacks: AttackSampling = Field(AttackSampling(), description="presentation attacks (spoofs); none by default")

    _ranges = field_validator("backdrop_distance_m")(check_range)

    @field_validator("pose_families")
    @classmethod
    def _known_families(cls, value: dict[str, float]) -> dict[str, float]:
        from synthgen.scenes.hands.pose import POSE_FAMILIES

        return check_weights(value, POSE_FAMILIES, "pose families")


ProductLayout = Literal["tabletop", "shelf", "conveyor", "hand"]


class DefectSettings(StrictModel):
    """Quality-control defects: which share of product instances carries one, and how types are weighted."""

    rate: float = Field(0.3, ge=0, le=1, description="share of product instances with a defect")
    types: dict[str, float] = Field(
        {"dent": 1.0, "crushed_corner": 1.0, "torn_label": 1.0, "misaligned_label": 1.0, "scratch": 1.0,
         "stain": 1.0, "open_seal": 1.0},
        description="relative weights of the defect types",
    )  # fmt: skip

    @field_validator("types")
    @classmethod
    def _known_types(cls, value: dict[str, float]) -> dict[str, float]:
        from synthgen.scenes.products.defects import DEFECT_TYPES

        return check_weights(value, DEFECT_TYPES, "defect types")


class ProductsScene(StrictModel):
    """Procedural retail products (SKUs) on a table, a shelf or a conveyor belt (``kind`` = "product")."""

    type: Literal["products"] = "products"
    skus: int = Field(200, ge=1, le=10_000_000, description="distinct products (SKUs) in the catalogue")
    families: dict[str, float] = Field(
        {"carton": 1.0, "bottle": 1.0, "can": 1.0, "jar": 1.0, "pouch": 1.0, "tube": 1.0, "blister": 1.0},
        description="relative weights of the product families",
    )
    layouts: dict[ProductLayout, float] = Field(
        {"tabletop": 1.0, "shelf": 1.0, "conveyor": 1.0},
        description="relative weights of the scene layouts; 'hand' = one product held in a hand",
    )
    hand_identities: int = Field(100, ge=1, le=10_000_000, description="hand identities for the 'hand' layout")
    products: tuple[int, int] = Field((3, 7), description="products per table or conveyor scene")
    max_products: int = Field(24, ge=1, le=64, description="products per scene at most (shelves fill up to it)")
    defects: DefectSettings = DefectSettings()
    surfaces: list[Literal["wood", "tiles", "concrete", "fabric", "marble"]] = ["wood", "tiles", "concrete", "marble"]
    camera: CameraSampling = CameraSampling(focal_mm=(30.0, 60.0), elevation_deg=(15.0, 60.0), fill=(0.85, 1.15))
    lights: LightSampling = LightSampling()

    @field_validator("families")
    @classmethod
    def _known_families(cls, value: dict[str, float]) -> dict[str, float]:
        from synthgen.scenes.products.identity import FAMILIES

        return check_weights(value, FAMILIES, "product families")

    @field_validator("layouts")
    @classmethod
    def _layout_weights(cls, value: dict[str, float]) -> dict[str, float]:
        return check_weights(value, get_args(ProductLayout), "layouts")

    @field_validator("products")
    @classmethod
    def _products_range(cls, value: tuple[int, int]) -> tuple[int, int]:
        check_range(value)
        if value[0] < 1:
            raise ValueError(f"must be at least 1, got {list(value)}")
        return value


SceneConfig = Annotated[TabletopScene | HandsScene | ProductsScene, Field(discriminator="type")]
SCENE_TYPES = ("tabletop", "hands", "products")


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
    def _renders_from_identities(cls, data: Any) -> Any:
        """A hands job renders identities x samples_per_identity unless num_renders says otherwise."""
        if isinstance(data, dict) and "num_renders" not in data:
            scene = data.get("scene")
            if isinstance(scene, dict) and scene.get("type") == "hands":
                defaults = HandsScene.model_fields
                identities = scene.get("identities", defaults["identities"].default)
                per_identity = scene.get("samples_per_identity", defaults["samples_per_identity"].default)
                if isinstance(identities, int) and isinstance(per_identity, int):
                    data = {**data, "num_renders": identities * per_identity}
        return data

    @model_validator(mode="after")
    def _identities_cover_the_renders(self) -> JobConfig:
        if isinstance(self.scene, HandsScene):
            capacity = self.scene.identities * self.scene.samples_per_identity
            if self.num_renders > capacity:
                raise ValueError(
                    f"num_renders={self.num_renders} exceeds scene.identities x scene.samples_per_identity = {capacity}"
                )
        return self

    @model_validator(mode="after")
    def _variants_need_augmentation(self) -> JobConfig:
        if self.variants > 0 and self.augment.is_identity:
            raise ValueError(
                f"variants={self.variants} needs an augmentation preset other than 'none' (set augment.preset)"
            )
        return self

    def content_fingerprint(self) -> str:
        """Hash of every field that changes what is rendered; execution-only fields are left out."""
        data = self.model_dump(mode="json")
        for key in ("out", "workers", "preset"):
            data.pop(key)
        for key in ("threads", "batch_size", "timeout_s", "retries", "max_renders_per_worker"):
            data["render"].pop(key)
        blob = json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


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


def _read_preset(name: str) -> dict[str, Any]:
    if name not in preset_names():
        raise UsageError(f"preset: unknown preset {name!r} (choose from {', '.join(preset_names())})")
    text = (resources.files("synthgen") / "presets" / f"{name}.yaml").read_text()
    return yaml.safe_load(text) or {}


def _read_yaml_file(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise UsageError(f"--config: no such file {str(path)!r}")
    try:
        data = yaml.safe_load(path.read_text())
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


def format_validation_error(exc: ValidationError, source: str = "config") -> str:
    """One line naming each bad field and its value."""
    parts = []
    for err in exc.errors():
        # pydantic names the chosen scene type inside the location (scene.hands.camera): users never wrote it.
        loc = [p for i, p in enumerate(err["loc"]) if not (i == 1 and err["loc"][0] == "scene" and p in SCENE_TYPES)]
        field = ".".join(str(p) for p in loc) or "(top level)"
        if err["type"] == "extra_forbidden":
            parts.append(f"{field}: unknown key")
            continue
        message = err["msg"].removeprefix("Value error, ")
        value = err.get("input")
        shown = "" if isinstance(value, dict) else f" (got {value!r})"
        parts.append(f"{field}: {message}{shown}")
    return f"{source}: " + "; ".join(parts)


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
    if preset is not None:
        data["preset"] = preset
    for dotted, value in (overrides or {}).items():
        if value is None:
            continue
        node = data
        *parents, leaf = dotted.split(".")
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = value
    if preset is not None and "out" not in data:
        data["out"] = f"outputs/{preset}"
    try:
        return JobConfig.model_validate(data)
    except ValidationError as exc:
        raise UsageError(format_validation_error(exc)) from None


def default_workers() -> int:
    """One worker per two cores keeps Cycles' own threads busy without oversubscribing."""
    return max(1, (os.cpu_count() or 2) // 2)
