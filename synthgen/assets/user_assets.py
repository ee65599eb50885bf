"""The user's own assets (``assets:`` in the job config): product models, backplates, HDRIs and surface textures.

Every path is resolved (symlinks followed) against ``base_dir`` (the config file's folder) and must lie inside one
of the declared ``roots`` (by default ``base_dir`` itself), exist and be a regular file of a known kind: checked
when the config is loaded, so a bad asset is a one-line error (exit 2) before any work. The sha256 of every file
is part of the config (``assets.sha256``, hence of the dataset's fingerprint and manifest), so a resumed job whose
asset changed on disk refuses to mix old and new renders.
"""

from __future__ import annotations

import functools
import os
import subprocess
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from synthgen.assets.model_probe import ModelProbeError, file_digest, model_record, probe_model
from synthgen.config_fields import FloatRange, StrictModel, check_range

MODEL_FORMATS = {".gltf": "gltf", ".glb": "gltf", ".obj": "obj", ".ply": "ply", ".fbx": "fbx", ".blend": "blend"}
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".exr", ".hdr", ".webp", ".bmp")
HDRI_SUFFIXES = (".hdr", ".exr")
UpAxis = Literal["X", "-X", "Y", "-Y", "Z", "-Z"]


class ModelAsset(StrictModel):
    """A product model drawn by Blender's own importer and used like a procedural SKU."""

    path: str = Field(min_length=1, description="glTF/GLB, OBJ, PLY, FBX or .blend file (meshes of the file)")
    class_name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\- ]+$", description="label class")
    scale: float = Field(1.0, gt=0, le=1000, description="metres per model unit after import (0.001 for mm)")
    up_axis: UpAxis | None = Field(
        None, description="the model's up axis in its file (default: the format's: glTF, OBJ, FBX Y; PLY, .blend Z)"
    )
    defects: bool = Field(False, description="may carry a geometric defect (dent)")
    weight: float = Field(1.0, gt=0, description="relative weight among the models")

    @property
    def format(self) -> str:
        return MODEL_FORMATS[Path(self.path).suffix.lower()]

    @field_validator("path")
    @classmethod
    def _known_format(cls, value: str) -> str:
        if Path(value).suffix.lower() not in MODEL_FORMATS:
            raise ValueError(f"must end in one of {', '.join(sorted(MODEL_FORMATS))}")
        return value


class HdriAsset(StrictModel):
    """An equirectangular HDR image lighting the world (and seen where nothing else is)."""

    path: str = Field(min_length=1, description=".hdr or .exr equirectangular image")
    rotation_deg: FloatRange = Field((0.0, 360.0), description="rotation about the vertical axis, sampled")
    exposure_ev: FloatRange = Field((0.0, 0.0), description="exposure in stops, sampled")

    @field_validator("path")
    @classmethod
    def _hdr_suffix(cls, value: str) -> str:
        if Path(value).suffix.lower() not in HDRI_SUFFIXES:
            raise ValueError(f"must end in one of {', '.join(HDRI_SUFFIXES)}")
        return value

    @field_validator("rotation_deg", "exposure_ev")
    @classmethod
    def _ranges(cls, value: tuple[float, float]) -> tuple[float, float]:
        return check_range(value)


def _image_path(value: str) -> str:
    if Path(value).suffix.lower() not in IMAGE_SUFFIXES:
        raise ValueError(f"must end in one of {', '.join(IMAGE_SUFFIXES)}")
    return value


class UserAssets(StrictModel):
    """Files of the user's own, read from declared folders only."""

    base_dir: str | None = Field(None, description="folder relative paths start from (the config file's folder)")
    roots: list[str] = Field([], description="folders assets may be read from (default: base_dir)")
    models: list[ModelAsset] = Field([], description="product models")
    model_share: float = Field(0.5, ge=0, le=1, description="share of products drawn from models (1 = only them)")
    backplates: list[str] = Field([], description="images shown behind the scene (camera rays only)")
    backplate_share: float = Field(1.0, ge=0, le=1, description="share of renders with a backplate")
    hdris: list[HdriAsset] = Field([], description="world lights")
    hdri_share: float = Field(1.0, ge=0, le=1, description="share of renders lit by an HDRI")
    textures: list[str] = Field([], description="images tiled on the ground/table surface")
    texture_share: float = Field(1.0, ge=0, le=1, description="share of renders on a user texture")
    texture_size_m: FloatRange = Field((0.3, 1.0), description="size of one texture tile in metres, sampled")
    sha256: dict[str, str] = Field({}, description="computed: each asset's digest (any value given is replaced)")

    @field_validator("backplates", "textures")
    @classmethod
    def _images(cls, value: list[str]) -> list[str]:
        return [_image_path(v) for v in value]

    @model_validator(mode="after")
    def _files_exist_inside_roots(self) -> UserAssets:
        if not self.declared():
            return self
        base = Path(self.base_dir or os.getcwd())
        roots = [_resolve(base, r) for r in (self.roots or ["."])]
        for root, text in zip(roots, self.roots or ["."], strict=True):
            if not root.is_dir():
                raise ValueError(f"roots: {text!r} is not a folder ({root})")
        digests = {}
        for key, digest_key, text in self.entries():
            path = _resolve(base, text)
            if not any(path.is_relative_to(root) for root in roots):
                raise ValueError(f"{key}: {text!r} resolves to {path}, outside the declared assets.roots")
            if not path.is_file():
                raise ValueError(f"{key}: {text!r} is not a file ({path})")
            if not os.access(path, os.R_OK):
                raise ValueError(f"{key}: {text!r} is not readable")
            digests[digest_key] = file_sha256(str(path), path.stat().st_mtime_ns, path.stat().st_size)
        object.__setattr__(self, "sha256", digests)
        for i, model in enumerate(self.models):  # Blender imports each once (cached by sha256) before any work
            try:
                probe_model(self.model_record(i))
            except (ModelProbeError, OSError, subprocess.SubprocessError) as exc:
                raise ValueError(f"models.{i}.path: {model.path!r}: {exc}") from None
        return self

    def declared(self) -> bool:
        return bool(self.models or self.backplates or self.hdris or self.textures)

    def entries(self) -> list[tuple[str, str, str]]:
        """(config key, key in ``sha256``, path as written) of every asset file."""
        items = [(f"models.{i}.path", f"models[{i}]", m.path) for i, m in enumerate(self.models)]
        items += [(f"backplates.{i}", f"backplates[{i}]", p) for i, p in enumerate(self.backplates)]
        items += [(f"hdris.{i}.path", f"hdris[{i}]", h.path) for i, h in enumerate(self.hdris)]
        items += [(f"textures.{i}", f"textures[{i}]", p) for i, p in enumerate(self.textures)]
        return items

    def model_record(self, index: int) -> dict[str, Any]:
        """What a spec (and Blender's importer) needs of model ``index``."""
        model = self.models[index]
        return model_record(self.resolve(model.path), model.path, model.format, model.scale, model.up_axis,
                            self.sha256[f"models[{index}]"])  # fmt: skip

    def resolve(self, text: str) -> Path:
        return _resolve(Path(self.base_dir or os.getcwd()), text)

    def record(self, group: str, index: int, text: str) -> dict[str, Any]:
        """What a spec stores of asset ``group[index]``: the path as written, where it was read, its sha256."""
        return {"path": text, "file": str(self.resolve(text)), "sha256": self.sha256[f"{group}[{index}]"]}


def _resolve(base: Path, text: str) -> Path:
    path = Path(text).expanduser()
    return (path if path.is_absolute() else base / path).resolve()


@functools.lru_cache(maxsize=256)
def file_sha256(path: str, mtime_ns: int, size: int) -> str:
    """sha256 of a file (cached per path, modification time and size)."""
    return file_digest(Path(path))
