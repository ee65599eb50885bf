"""Configuration of the attack mix and of each attack instrument's parameter ranges (``HandsScene.attacks``)."""

from __future__ import annotations

from pydantic import Field, field_validator

from synthgen.config_fields import FloatRange, StrictModel, check_range, check_weights
from synthgen.scenes.hands.attacks.registry import ATTACK_TYPE_NAMES
from synthgen.scenes.hands.attacks.screen_attack import SCREEN_MODELS


class PrintSampling(StrictModel):
    """A photo of the victim printed on paper (also the paper of a cut-out)."""

    glossy_share: float = Field(0.4, ge=0, le=1, description="share of glossy (coated) paper; the rest is matte")
    laser_share: float = Field(0.5, ge=0, le=1, description="laser (toner halftone); the rest is inkjet (dye dither)")
    dpi: FloatRange = Field((100.0, 300.0), description="printer raster resolution, dots per inch")
    colour_shift: FloatRange = Field((0.03, 0.15), description="size of the printer's colour cast and gamut loss")
    scale: FloatRange = Field((0.9, 1.15), description="printed size relative to life size")
    curl: FloatRange = Field((0.0, 8.0), description="bend curvature of the sheet, 1/m (either way)")
    corner_curl: FloatRange = Field((0.0, 0.02), description="lift of the corners, metres")
    nir_source_share: float = Field(0.1, ge=0, le=1, description="share printed from an NIR capture of the victim")
    held_share: float = Field(0.7, ge=0, le=1, description="share held by a pinch (print: bottom edge, cut-out: wrist)")

    _ranges = field_validator("dpi", "colour_shift", "scale", "curl", "corner_curl")(check_range)


class ScreenSampling(StrictModel):
    """A phone or tablet showing the victim's photo."""

    models: dict[str, float] = Field({"phone": 2.0, "tablet": 1.0}, description="relative weights of device models")
    pixel_pitch_mm: FloatRange = Field((0.045, 0.12), description="display pixel pitch (3 sub-pixels each)")
    brightness: FloatRange = Field((0.6, 1.6), description="emission strength of a white pixel")
    gamma: FloatRange = Field((1.9, 2.5), description="display gamma")
    glass_roughness: FloatRange = Field((0.02, 0.12), description="roughness of the cover glass (glare spread)")
    held_share: float = Field(0.7, ge=0, le=1, description="share of devices held at the bottom edge by a pinch")

    _ranges = field_validator("pixel_pitch_mm", "brightness", "gamma", "glass_roughness")(check_range)

    @field_validator("models")
    @classmethod
    def _known_models(cls, value: dict[str, float]) -> dict[str, float]:
        return check_weights(value, tuple(SCREEN_MODELS), "screen models")


class SiliconeSampling(StrictModel):
    """A cast silicone replica of the victim's hand."""

    albedo_jitter: float = Field(0.15, ge=0, le=1, description="relative error of the pigment against the skin")
    sss_scale: FloatRange = Field((0.2, 0.5), description="scattering depth relative to live skin (shallower)")
    roughness: FloatRange = Field((0.2, 0.4), description="waxy surface")
    coat: FloatRange = Field((0.2, 0.6), description="clear sheen layer weight")
    bubbles: FloatRange = Field((0.0, 1.0), description="density of trapped air bubbles")
    nir_albedo: FloatRange = Field((0.45, 0.75), description="uniform NIR reflectance (no veins)")
    finger_stiffness: float = Field(0.3, ge=0, le=1, description="open-palm joint angles are scaled by this")

    _ranges = field_validator("sss_scale", "roughness", "coat", "bubbles", "nir_albedo")(check_range)


class AttackSampling(StrictModel):
    """Which samples are attacks, of which type, and how each instrument varies."""

    live_share: float = Field(1.0, ge=0, le=1, description="share of live samples; the rest are attacks")
    types: dict[str, float] = Field(
        {"print": 1.0, "screen": 1.0, "silicone": 1.0, "cutout": 1.0}, description="relative weights of attack types"
    )
    source_resolution: int = Field(256, ge=16, le=2048, description="pixels of the victim capture an attack shows")
    source_spp: int = Field(16, ge=1, le=4096, description="samples per pixel of the victim capture")
    print: PrintSampling = PrintSampling()
    screen: ScreenSampling = ScreenSampling()
    silicone: SiliconeSampling = SiliconeSampling()

    @field_validator("types")
    @classmethod
    def _known_types(cls, value: dict[str, float]) -> dict[str, float]:
        return check_weights(value, ATTACK_TYPE_NAMES, "attack types")
