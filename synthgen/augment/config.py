"""The ``augment`` section of a job config: a preset name, or an explicit transform list that replaces it."""

from __future__ import annotations

from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from synthgen.augment.presets import PRESETS, PresetName
from synthgen.augment.spec import TransformSpec


class AugmentConfig(BaseModel):
    """Which augmentations make the variants of a render.

    Validated when built: every transform is constructed once, so an unknown name, an unknown parameter or an
    invalid value fails here (naming the transform and parameter) rather than in a render worker.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    preset: PresetName = "none"
    transforms: list[TransformSpec] | None = None
    max_white_share: float = Field(
        0.05,
        ge=0.0,
        le=1.0,
        description="share of pixels a variant may newly blow out to white (every channel >= 250); a variant "
        "over it is redrawn (seeded), at most 8 times, else the least blown-out draw is kept",
    )

    @model_validator(mode="after")
    def _buildable(self) -> Self:
        specs = self.resolved_specs()
        if not specs:
            return self
        # albumentations (and the torch it pulls in) is imported only when there is something to build.
        from synthgen.augment.registry import build_transform

        for i, spec in enumerate(specs):
            build_transform(spec, self.where(i))
        return self

    def resolved_specs(self) -> list[TransformSpec]:
        """The transform list to run: ``transforms`` when given (even empty), else the preset's."""
        if self.transforms is not None:
            return list(self.transforms)
        return [TransformSpec.model_validate(spec) for spec in PRESETS[self.preset]]

    @property
    def is_identity(self) -> bool:
        return not self.resolved_specs()

    def where(self, index: int) -> str:
        """Config path of the ``index``-th resolved transform, for messages."""
        if self.transforms is not None:
            return f"augment.transforms[{index}]"
        return f"augment.preset[{self.preset}][{index}]"

    def resolved_json(self) -> list[dict[str, Any]]:
        """The resolved transform list as plain JSON data (tuples become lists)."""
        return [spec.model_dump(mode="json") for spec in self.resolved_specs()]
