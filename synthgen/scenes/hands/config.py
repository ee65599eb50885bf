"""Config of the hands scene (``scene.type: hands``): camera modes, the NIR capture, identities, attacks."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from synthgen.config_fields import FloatRange, StrictModel, check_range, check_weights
from synthgen.scenes.common.config import SURFACE_NAMES, LightSampling, SurfaceName
from synthgen.scenes.hands.attacks.config import AttackSampling
from synthgen.scenes.hands.environment import EnvironmentSampling
from synthgen.scenes.hands.pose import POSE_FAMILIES
from synthgen.scenes.kind import SceneConfig


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
        (-1.0, 0.5),
        description="film exposure in stops (RGB only): the camera's exposure error, on top of the metered "
        "exposure when camera_model.metering is on",
    )

    _ranges = field_validator("focal_mm", "tilt_deg", "fill", "roll_deg", "exposure_ev")(check_range)


class NirSettings(StrictModel):
    """A monochrome near-infrared capture lit by the sensor's own LEDs, rendered beside the RGB image."""

    enabled: bool = False
    power_w_at_1m: FloatRange = Field((5.0, 9.0), description="LED power, scaled by distance squared")
    spp_share: float = Field(0.5, gt=0, le=1, description="NIR samples per pixel as a share of render.spp")
    ambient: FloatRange = Field((0.0, 0.02), description="world light strength during the NIR capture")

    _ranges = field_validator("power_w_at_1m", "ambient")(check_range)


class AccessorySampling(StrictModel):
    """Rings, watches, bracelets, band-aids and skin marks (synthgen.scenes.hands.accessories): ownership and
    permanent marks per identity, what is worn per sample."""

    enabled: bool = True
    ring_owner_share: float = Field(0.35, ge=0, le=1, description="identities with at least one ring")
    watch_owner_share: float = Field(0.3, ge=0, le=1, description="identities who own a watch")
    bracelet_owner_share: float = Field(0.15, ge=0, le=1, description="identities who own a bracelet")
    wear_share: float = Field(0.8, ge=0, le=1, description="chance an owned item is worn in a sample")
    band_aid_share: float = Field(0.04, ge=0, le=1, description="samples with a band-aid on a finger")
    tattoo_share: float = Field(0.12, ge=0, le=1, description="identities with a tattoo on hand, wrist or forearm")
    scar_share: float = Field(0.15, ge=0, le=1, description="identities with a visible scar")
    ink_share: float = Field(0.05, ge=0, le=1, description="samples with pen ink on the skin")
    dirt_share: float = Field(0.08, ge=0, le=1, description="samples with a smudge of dirt")


class HandsScene(SceneConfig):
    """Posed MakeHuman hands of seeded identities, before a backdrop (``kind`` = "hand")."""

    type: Literal["hands"] = "hands"
    identities: int = Field(100, ge=1, le=10_000_000, description="distinct hand identities")
    samples_per_identity: int = Field(10, ge=1, le=100_000)
    pose_families: dict[str, float] = Field(
        {
            "open_palm": 1.0,
            "relaxed": 1.0,
            "pointing": 1.0,
            "pinch": 1.0,
            "fist": 1.0,
            "grasp": 1.0,
            "natural": 2.0,
            "presenting": 2.0,
        },
        description="relative weights of the pose families",
    )
    camera: HandCameraSampling = HandCameraSampling()
    lights: LightSampling = LightSampling(power_w=(8.0, 50.0), point_share=0.35)
    backdrops: list[SurfaceName] = list(SURFACE_NAMES)
    backdrop_distance_m: FloatRange = (0.15, 0.8)
    world_only_share: float = Field(0.15, ge=0, le=1, description="share of samples with no backdrop")
    environment: EnvironmentSampling = Field(
        EnvironmentSampling(), description="rooms and outdoors: clutter, occluders, the setting's lights"
    )
    nir: NirSettings = NirSettings()
    attacks: AttackSampling = Field(AttackSampling(), description="presentation attacks (spoofs); none by default")
    accessories: AccessorySampling = AccessorySampling()

    _ranges = field_validator("backdrop_distance_m")(check_range)

    @field_validator("pose_families")
    @classmethod
    def _known_families(cls, value: dict[str, float]) -> dict[str, float]:
        return check_weights(value, POSE_FAMILIES, "pose families")

    @classmethod
    def default_num_renders(cls, scene: dict[str, Any]) -> int | None:
        """A hands job renders identities x samples_per_identity unless num_renders says otherwise."""
        identities = scene.get("identities", cls.model_fields["identities"].default)
        per_identity = scene.get("samples_per_identity", cls.model_fields["samples_per_identity"].default)
        if isinstance(identities, int) and isinstance(per_identity, int):
            return identities * per_identity
        return None

    def render_capacity(self) -> tuple[int, str] | None:
        return self.identities * self.samples_per_identity, "scene.identities x scene.samples_per_identity"
