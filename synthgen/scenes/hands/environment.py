"""Where a hand is photographed: a room (office, shop, kitchen) or outdoors, with clutter, an occluder and the
setting's own lights (pure, seeded).

An environment replaces a hands spec's ``lighting`` with the setting's lights (ceiling panels, down-lights,
pendants, a window, a sky, and a bounce light standing in for the light a floor, desk or counter throws back) and
adds ``spec["environment"]``:

- ``clutter``: distractor objects (the tabletop scene's shapes with printed labels) behind the hand, placed in
  the *view frame* (right, up, depth beyond the hand along the line of sight), because the camera is only known
  in Blender once the hand is posed. Each stands on the backdrop (palm scanners look down onto a desk or
  counter) or on a table plane below the line of sight (other cameras see a room);
- ``table``: that table plane (orbit cameras), None when the clutter stands on the backdrop;
- ``occluder``: an object between the camera and the hand (a product, a mug, a box held in front), an instance of
  its own (``OCCLUDER_INSTANCE_ID``, class ``occluder``), so the hand mask and keypoint visibility stay exact;
  None in most samples.

``plain`` keeps the old plain backdrop and its lights. The draws come from their own stream
(job seed, ENVIRONMENT, render index): choosing an environment never changes a spec's other draws.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
from pydantic import Field, field_validator

from synthgen.config_fields import FloatRange, StrictModel, check_range, check_weights
from synthgen.scenes.common.color import kelvin_to_rgb
from synthgen.scenes.common.sampling import uniform, weighted_choice
from synthgen.scenes.common.surfaces import sample_surface
from synthgen.scenes.tabletop.sampler import sample_shape

ENVIRONMENTS = ("plain", "office", "shop", "kitchen", "outdoor")
OCCLUDER_INSTANCE_ID = 2
OCCLUDER_CLASS = "occluder"
MAX_CLUTTER = 8
# The backdrop surface each setting shows behind the hand: a wall or a desk, shelving, a counter, paving.
_BACKDROP_SURFACES = {
    "office": ("wood", "fabric", "concrete"),
    "shop": ("tiles", "concrete", "wood"),
    "kitchen": ("tiles", "marble", "wood"),
    "outdoor": ("concrete", "wood"),
}


class EnvironmentSampling(StrictModel):
    """Which settings hands are photographed in, how cluttered, and how often something passes in front."""

    settings: dict[str, float] = Field(
        {"plain": 0.5, "office": 1.0, "shop": 1.0, "kitchen": 1.0, "outdoor": 1.0},
        description=f"relative weights of the settings ({', '.join(ENVIRONMENTS)}); plain = the bare backdrop",
    )
    clutter: tuple[int, int] = Field((2, 6), description="distractor objects behind the hand (min, max)")
    occluder_share: float = Field(
        0.2, ge=0, le=1, description="share of samples with an occluder before the hand (orbit cameras only)"
    )
    occluder_cover: FloatRange = Field(
        (0.1, 0.45), description="how far the occluder reaches over the hand: share of the frame's half width"
    )
    brightness: FloatRange = Field((0.7, 1.4), description="scale of the setting's light power")

    _ranges = field_validator("occluder_cover", "brightness")(check_range)

    @field_validator("settings")
    @classmethod
    def _known(cls, value: dict[str, float]) -> dict[str, float]:
        return check_weights(value, ENVIRONMENTS, "environment settings")

    @field_validator("clutter")
    @classmethod
    def _clutter(cls, value: tuple[int, int]) -> tuple[int, int]:
        if not 0 <= value[0] <= value[1] <= MAX_CLUTTER:
            raise ValueError(f"must be 0 <= min <= max <= {MAX_CLUTTER}, got {list(value)}")
        return value


CameraMode = Literal["palm", "orbit"]


def _light(
    kind: str, location: np.ndarray, target: np.ndarray, size_m: float, power_at_1m: float, kelvin: float
) -> dict[str, Any]:
    """A light in the stage's format; ``power_at_1m`` is scaled by the squared distance to the target."""
    distance = float(np.linalg.norm(location - target))
    power = power_at_1m * distance**2 * (4.0 if kind == "POINT" else 1.0)  # a bulb spreads over the sphere
    return {
        "type": kind,
        "location": location.tolist(),
        "look_at": target.tolist(),
        "size_m": size_m,
        "power_w": power,
        "kelvin": kelvin,
        "color": list(kelvin_to_rgb(kelvin)),
    }


def _around(rng: np.random.Generator, radius: tuple[float, float], height: tuple[float, float]) -> np.ndarray:
    azimuth = rng.uniform(0.0, 2.0 * math.pi)
    r = uniform(rng, radius)
    return np.array([r * math.cos(azimuth), r * math.sin(azimuth), uniform(rng, height)])


def _bounce(rng: np.random.Generator, key: dict[str, Any], share: tuple[float, float], kelvin: float) -> dict:
    """The light the floor, desk or walls throw back: a big dim area light opposite the key light, from below."""
    opposite = -np.asarray(key["location"], dtype=float)
    opposite[2] = -uniform(rng, (0.4, 1.0))
    opposite *= uniform(rng, (1.2, 2.0)) / max(np.linalg.norm(opposite), 1e-6)
    return _light("AREA", opposite, np.zeros(3), uniform(rng, (1.5, 3.0)), key["_power"] * uniform(rng, share), kelvin)


def _room_lights(rng: np.random.Generator, setting: str, brightness: float) -> tuple[list[dict], dict[str, Any]]:
    """(lights, sky) of a setting, around the hand at the origin (world +Z up)."""
    target = np.zeros(3)
    lights: list[dict[str, Any]] = []
    sky = {"enabled": False, "strength": 0.0, "sun_elevation_deg": 45.0, "sun_rotation_deg": 0.0}
    if setting == "office":  # ceiling panels, often a window, a desk bounce
        for _ in range(int(rng.integers(1, 3))):
            power = uniform(rng, (12.0, 30.0)) * brightness
            light = _light("AREA", _around(rng, (0.2, 1.6), (1.1, 1.9)), target, uniform(rng, (0.6, 1.2)), power,
                           uniform(rng, (3800.0, 5200.0)))  # fmt: skip
            lights.append(light | {"_power": power})
        if rng.uniform() < 0.6:
            power = uniform(rng, (10.0, 35.0)) * brightness
            window = _light("AREA", _around(rng, (1.4, 2.4), (0.2, 0.9)), target, uniform(rng, (1.0, 1.8)), power,
                            uniform(rng, (5800.0, 7500.0)))  # fmt: skip
            lights.append(window | {"_power": power})
        lights.append(_bounce(rng, lights[0], (0.1, 0.25), uniform(rng, (3500.0, 4500.0))))
    elif setting == "shop":  # rows of down-lights (small, bright, some bare), a bright floor bounce
        for _ in range(int(rng.integers(2, 4))):
            power = uniform(rng, (10.0, 25.0)) * brightness
            kind = "POINT" if rng.uniform() < 0.4 else "AREA"
            size = uniform(rng, (0.02, 0.06)) if kind == "POINT" else uniform(rng, (0.15, 0.4))
            light = _light(kind, _around(rng, (0.3, 1.8), (1.3, 2.4)), target, size, power,
                           uniform(rng, (3200.0, 4600.0)))  # fmt: skip
            lights.append(light | {"_power": power})
        lights.append(_bounce(rng, lights[0], (0.15, 0.3), uniform(rng, (3500.0, 4200.0))))
    elif setting == "kitchen":  # warm pendants over a counter, a daylight window, a counter bounce
        for _ in range(int(rng.integers(1, 3))):
            power = uniform(rng, (8.0, 22.0)) * brightness
            light = _light("POINT", _around(rng, (0.1, 0.8), (0.5, 1.1)), target, uniform(rng, (0.02, 0.08)),
                           power, uniform(rng, (2600.0, 3300.0)))  # fmt: skip
            lights.append(light | {"_power": power})
        if rng.uniform() < 0.7:
            power = uniform(rng, (10.0, 30.0)) * brightness
            window = _light("AREA", _around(rng, (1.3, 2.2), (0.3, 1.0)), target, uniform(rng, (0.8, 1.5)), power,
                            uniform(rng, (5500.0, 7000.0)))  # fmt: skip
            lights.append(window | {"_power": power})
        lights.append(_bounce(rng, lights[0], (0.12, 0.3), uniform(rng, (2900.0, 3600.0))))
    elif setting == "outdoor":  # the sky and its sun; light thrown back by the ground
        sky = {
            "enabled": True,
            "strength": uniform(rng, (0.04, 0.12)) * brightness,
            "sun_elevation_deg": uniform(rng, (8.0, 65.0)),
            "sun_rotation_deg": uniform(rng, (0.0, 360.0)),
        }
        ground = np.array([0.0, 0.0, -uniform(rng, (1.0, 2.0))])
        ground[:2] = rng.normal(0.0, 0.3, 2)
        lights.append(_light("AREA", ground, target, uniform(rng, (2.0, 4.0)), uniform(rng, (2.0, 6.0)) * brightness,
                             uniform(rng, (5000.0, 6500.0))))  # fmt: skip
    for light in lights:
        light.pop("_power", None)
    return lights, sky


def _distractor(rng: np.random.Generator) -> dict[str, Any]:
    """A tabletop shape with a printed label (the tabletop scene's own objects, in livelier colours)."""
    shape = ("box", "cylinder", "bottle")[int(rng.integers(3))]
    return sample_shape(rng, shape, base_chroma=((0.2, 0.9), (0.2, 0.9)), label_chroma=((0.0, 0.7), (0.5, 1.0)))


def sample_environment(
    rng: np.random.Generator, sampling: EnvironmentSampling, camera_mode: CameraMode, background: dict[str, Any]
) -> dict[str, Any]:
    """One sample's setting (``name``), its ``lighting`` (None for ``plain``: the spec's own), clutter, table,
    occluder and ``background`` (the spec's, with the setting's surface). Positions are in the view frame:
    ``right``/``up`` as shares of the frame's half size at that depth, ``depth_m`` beyond the hand's target point
    along the line of sight."""
    name = weighted_choice(rng, sampling.settings, ENVIRONMENTS)
    environment: dict[str, Any] = {"name": name, "lighting": None, "clutter": [], "table": None, "occluder": None}
    if name == "plain":
        return environment
    brightness = uniform(rng, sampling.brightness)
    lights, sky = _room_lights(rng, name, brightness)
    world_kelvin = uniform(rng, (5500.0, 8000.0) if name == "outdoor" else (3500.0, 6000.0))
    world = {"kelvin": world_kelvin, "color": list(kelvin_to_rgb(world_kelvin)),
             "strength": uniform(rng, (0.05, 0.25)) * brightness, "sky": sky}  # fmt: skip
    environment["lighting"] = {"world": world, "lights": lights}
    surfaces = _BACKDROP_SURFACES[name]
    surface = sample_surface(rng, surfaces[int(rng.integers(len(surfaces)))])
    distance = uniform(rng, (0.4, 1.0))
    if background["type"] == "backdrop":
        background = background | {"surface": surface}
        distance = background["distance_m"]
    elif name != "outdoor":  # indoors there is always a wall or a desk behind the hand, never a bare world
        background = {"type": "backdrop", "distance_m": distance, "surface": surface}
    environment["background"] = background
    on_table = camera_mode == "orbit"
    if on_table:  # a desk, shelf or counter top below the line of sight, running back to the backdrop
        environment["table"] = {
            "up": -uniform(rng, (0.35, 0.9)),  # below the line of sight: a share of the half frame height
            "surface": sample_surface(rng, surfaces[int(rng.integers(len(surfaces)))]),
        }
    # Nothing to stand on outdoors without a backdrop or a table: the sky and the ground only.
    has_support = on_table or background["type"] == "backdrop"
    for _ in range(int(rng.integers(sampling.clutter[0], sampling.clutter[1] + 1)) if has_support else 0):
        item = _distractor(rng)
        # Beyond the hand (never in front of it), spread over the frame and a little beyond its edges.
        item["depth_m"] = uniform(rng, (0.15, 0.95)) * distance if on_table else distance
        item["right"] = uniform(rng, (-1.3, 1.3))
        item["up"] = uniform(rng, (-1.2, 1.2))
        environment["clutter"].append(item)
    # Only a camera at a distance sees something pass in front of the hand: a palm scanner's lens is a hand's
    # breadth from the palm with nothing between (and its LEDs would flood anything there).
    if camera_mode == "orbit" and rng.uniform() < sampling.occluder_share:
        occluder = _distractor(rng)
        side = 1.0 if rng.uniform() < 0.5 else -1.0
        occluder |= {
            "instance_id": OCCLUDER_INSTANCE_ID,
            # Where the camera-to-hand line is cut (share of the distance from the camera) and how far the
            # object reaches in from the frame's side over the hand.
            "distance_share": uniform(rng, (0.35, 0.7)),
            "side": side,
            "cover": uniform(rng, sampling.occluder_cover),
            "up": uniform(rng, (-0.5, 0.5)),
            "tilt_deg": uniform(rng, (-25.0, 25.0)),
        }
        environment["occluder"] = occluder
    return environment


def with_environment(spec: dict[str, Any], environment: dict[str, Any]) -> dict[str, Any]:
    """``spec`` set in ``environment``: the setting's lights and background replace the spec's own."""
    spec = dict(spec)
    if environment["lighting"] is not None:
        spec["lighting"] = environment["lighting"]
    if "background" in environment:
        spec["background"] = environment["background"]
    spec["environment"] = {k: v for k, v in environment.items() if k not in ("lighting", "background")}
    return spec
