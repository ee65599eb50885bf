"""One transform of an augmentation list, as a config states it (no albumentations import: configs load fast)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class TransformSpec(BaseModel):
    """One transform: an albumentations (or synthgen) class name and its constructor parameters."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    params: dict[str, Any] = Field(default_factory=dict)
