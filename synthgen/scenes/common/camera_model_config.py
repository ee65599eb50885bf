"""Config of the camera and sensor model (``camera_model:`` in a job config): what a real camera adds to the ideal
render. Every effect has its own ``enabled`` switch; the whole model is off unless ``camera_model.enabled``.

Ranges are [low, high], sampled uniformly per render (``synthgen.scenes.common.camera_model``). The render camera
is a 36 mm-wide sensor, so f-numbers are full-frame equivalents (a phone's f/1.8 on a 1/1.3" sensor is about f/11).
"""

from __future__ import annotations

from pydantic import Field, field_validator

from synthgen.config_fields import FloatRange, StrictModel, check_range


class MeteringSettings(StrictModel):
    """Auto-exposure: the camera meters the subject (its mask, centre-weighted) to a target grey in linear light,
    then the scene's own exposure jitter (``scene.camera.exposure_ev`` for hands) is added on top."""

    enabled: bool = True
    target_grey: float = Field(0.2, gt=0, lt=1, description="linear value the metered region is exposed to")
    subject_weight: float = Field(0.5, ge=0, le=1, description="share of the meter on the subject mask")
    centre_sigma: float = Field(0.35, gt=0, le=10, description="centre weighting, Gaussian sigma / image diagonal")
    max_ev: float = Field(4.0, gt=0, le=12, description="the meter's correction is clipped to +-max_ev stops")


class MotionBlurSettings(StrictModel):
    """The subject moves during the exposure (a palm approaching a scanner): mostly along the camera axis."""

    enabled: bool = True
    speed_mps: FloatRange = Field((0.0, 0.25), description="subject speed, metres per second")
    lateral_share: FloatRange = Field((0.0, 0.4), description="share of the speed across the view (rest: axial)")
    shutter_s: FloatRange = Field((1 / 250, 1 / 60), description="exposure time in seconds")

    _ranges = field_validator("speed_mps", "lateral_share", "shutter_s")(check_range)

    @field_validator("speed_mps", "shutter_s")
    @classmethod
    def _non_negative(cls, value: tuple[float, float]) -> tuple[float, float]:
        if value[0] < 0 or value[1] > 10:
            raise ValueError("must lie in 0..10")
        return value

    @field_validator("lateral_share")
    @classmethod
    def _share(cls, value: tuple[float, float]) -> tuple[float, float]:
        if value[0] < 0 or value[1] > 1:
            raise ValueError("must lie in 0..1")
        return value


class DepthOfFieldSettings(StrictModel):
    """A thin lens focused on the subject (with a focus error), f-number in the 36 mm render format."""

    enabled: bool = True
    f_number: FloatRange = Field((8.0, 16.0), description="full-frame-equivalent f-number")
    focus_error: FloatRange = Field((-0.04, 0.04), description="relative error of the focus distance")

    _ranges = field_validator("f_number", "focus_error")(check_range)

    @field_validator("f_number")
    @classmethod
    def _fstop(cls, value: tuple[float, float]) -> tuple[float, float]:
        if value[0] < 0.5 or value[1] > 128:
            raise ValueError("must lie in 0.5..128")
        return value

    @field_validator("focus_error")
    @classmethod
    def _error(cls, value: tuple[float, float]) -> tuple[float, float]:
        if value[0] <= -0.9 or value[1] >= 0.9:
            raise ValueError("must lie in -0.9..0.9")
        return value


class LensSettings(StrictModel):
    """Brown-Conrady distortion (OpenCV's k1, k2, p1, p2, k3 on normalised coordinates). Defaults: a phone main
    camera's residual barrel distortion; palm scanners' short lenses have more (k1 down to about -0.3)."""

    enabled: bool = True
    k1: FloatRange = (-0.12, 0.02)
    k2: FloatRange = (-0.02, 0.06)
    k3: FloatRange = (-0.01, 0.01)
    p1: FloatRange = (-0.002, 0.002)
    p2: FloatRange = (-0.002, 0.002)

    _ranges = field_validator("k1", "k2", "k3", "p1", "p2")(check_range)

    @field_validator("k1", "k2", "k3")
    @classmethod
    def _radial(cls, value: tuple[float, float]) -> tuple[float, float]:
        if value[0] < -0.5 or value[1] > 0.5:
            raise ValueError("must lie in -0.5..0.5")
        return value

    @field_validator("p1", "p2")
    @classmethod
    def _tangential(cls, value: tuple[float, float]) -> tuple[float, float]:
        if value[0] < -0.02 or value[1] > 0.02:
            raise ValueError("must lie in -0.02..0.02")
        return value


class RgbSensorSettings(StrictModel):
    """Shot and read noise (in linear light, signal 1 = white) and the auto white balance's error."""

    enabled: bool = True
    shot_noise: FloatRange = Field((0.004, 0.02), description="noise std of a signal of 1 from photon counts")
    # Read noise is amplified by the display encoding in the shadows (0.001 linear is 3 grey levels at black).
    read_noise: FloatRange = Field((0.0003, 0.0015), description="signal-independent noise std")
    wb_error_stops: FloatRange = Field((-0.12, 0.12), description="red and blue gain errors (log2) vs green")

    _ranges = field_validator("shot_noise", "read_noise", "wb_error_stops")(check_range)

    @field_validator("shot_noise", "read_noise")
    @classmethod
    def _noise(cls, value: tuple[float, float]) -> tuple[float, float]:
        if value[0] < 0 or value[1] > 0.2:
            raise ValueError("must lie in 0..0.2")
        return value

    @field_validator("wb_error_stops")
    @classmethod
    def _wb(cls, value: tuple[float, float]) -> tuple[float, float]:
        if value[0] < -1 or value[1] > 1:
            raise ValueError("must lie in -1..1")
        return value


class NirSensorSettings(StrictModel):
    """A monochrome NIR sensor behind a narrow band-pass filter, lit by an LED ring round its lens."""

    enabled: bool = True
    bands_nm: list[int] = Field([850, 940], min_length=1, description="LED/filter centre wavelengths to pick from")
    vignetting: FloatRange = Field((0.3, 0.6), description="light lost at the image corner from the LED ring")
    hotspot: FloatRange = Field((0.0, 0.35), description="peak of the LED ring's specular reflection on the skin")
    gain_stops: FloatRange = Field((-0.3, 0.5), description="sensor gain (noise grows with it)")
    shot_noise: FloatRange = Field((0.01, 0.03), description="noise std of a signal of 1 at unit gain")
    read_noise: FloatRange = Field((0.0004, 0.0015), description="signal-independent noise std at unit gain")

    _ranges = field_validator("vignetting", "hotspot", "gain_stops", "shot_noise", "read_noise")(check_range)

    @field_validator("bands_nm")
    @classmethod
    def _bands(cls, value: list[int]) -> list[int]:
        for band in value:
            if not 700 <= band <= 1100:
                raise ValueError("each band must lie in 700..1100 nm")
        return value

    @field_validator("vignetting", "hotspot", "shot_noise", "read_noise")
    @classmethod
    def _unit(cls, value: tuple[float, float]) -> tuple[float, float]:
        if value[0] < 0 or value[1] > 1:
            raise ValueError("must lie in 0..1")
        return value

    @field_validator("gain_stops")
    @classmethod
    def _gain(cls, value: tuple[float, float]) -> tuple[float, float]:
        if value[0] < -4 or value[1] > 4:
            raise ValueError("must lie in -4..4")
        return value


class CameraModelSettings(StrictModel):
    """What a real camera adds to the ideal render; sampled into ``spec["camera_model"]`` when enabled."""

    enabled: bool = Field(False, description="off: the ideal pinhole camera of earlier datasets")
    metering: MeteringSettings = MeteringSettings()
    motion_blur: MotionBlurSettings = MotionBlurSettings()
    depth_of_field: DepthOfFieldSettings = DepthOfFieldSettings()
    lens: LensSettings = LensSettings()
    rgb_sensor: RgbSensorSettings = RgbSensorSettings()
    nir_sensor: NirSensorSettings = NirSensorSettings()
