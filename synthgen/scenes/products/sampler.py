"""The products scene: several seeded SKUs on a table, on shelf boards (rows of facings) or on a conveyor belt.

All SKUs of a scene come from one split's pool (the primary SKU's split), so no product straddles splits.
Each placement stores its local-to-world matrix and local bounds, taken from the exact mesh the worker builds.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from synthgen.assets.model_skus import MODEL_FAMILY, draw_model, model_dent, model_sku
from synthgen.assets.user_assets import UserAssets
from synthgen.scenes.common.camera_math import direction_from_angles, framing_distance, horizontal_fov
from synthgen.scenes.common.lighting import sample_lighting
from synthgen.scenes.common.sampling import linear_colour, uniform
from synthgen.scenes.common.surfaces import sample_surface
from synthgen.scenes.hands.config import HandCameraSampling, HandsScene
from synthgen.scenes.hands.pose import sample_hand_pose
from synthgen.scenes.hands.sampler import sample_hands_spec
from synthgen.scenes.products.config import ProductsScene
from synthgen.scenes.products.defects import deform, sample_defect
from synthgen.scenes.products.geometry import local_bounds, product_mesh
from synthgen.scenes.products.grasp import fit_grasp
from synthgen.scenes.products.identity import sample_sku
from synthgen.scenes.products.layout import footprint, object_matrix, pack_circles
from synthgen.scenes.products.store import fill_aisle, store_lighting
from synthgen.splits import assign_split

GAP_M = 0.008
FLAT_FAMILIES = {"blister": 0.8, "pouch": 0.5}  # share lying flat on tables and belts
STORE_FLOORS = ("tiles", "concrete", "marble")


@functools.lru_cache(maxsize=4096)
def _sku(job_seed: int, sku_id: int, families: tuple[tuple[str, float], ...]) -> dict[str, Any]:
    return sample_sku(job_seed, sku_id, dict(families))


@functools.lru_cache(maxsize=256)
def _sku_mesh(job_seed: int, sku_id: int, families: tuple[tuple[str, float], ...]) -> Any:
    """The SKU's undeformed mesh (a shelf repeats SKUs, and a defect deforms a copy of it)."""
    return product_mesh(_sku(job_seed, sku_id, families))


@functools.lru_cache(maxsize=4096)
def _sku_bounds(job_seed: int, sku_id: int, families: tuple[tuple[str, float], ...]) -> tuple[list, list]:
    return local_bounds(_sku_mesh(job_seed, sku_id, families).array())


@functools.lru_cache(maxsize=65536)
def sku_split(job_seed: int, sku_id: int, ratios: tuple[tuple[str, float], ...]) -> str:
    """A SKU's split: drawn for the split group "sku:<id>" like every other split group."""
    return assign_split(job_seed, f"sku:{sku_id}", dict(ratios))


class _Catalogue:
    """The scene's SKUs: a primary drawn from the whole catalogue, the others from the primary's split."""

    MAX_TRIES = 1000

    def __init__(
        self,
        job_seed: int,
        scene: ProductsScene,
        ratios: dict[str, float],
        rng: np.random.Generator,
        assets: UserAssets | None = None,
    ) -> None:
        self.seed, self.families = job_seed, tuple(sorted(scene.families.items()))
        self.ratios = tuple(ratios.items())
        self.skus = scene.skus
        # The user's models (synthgen.assets.model_skus) follow the procedural catalogue's ids.
        self.assets = assets if assets is not None and assets.models else None
        self.primary = int(rng.integers(scene.skus))
        if self.assets is not None and rng.uniform() < self.assets.model_share:
            self.primary = self.skus + draw_model(self.assets, rng)
        self.split = sku_split(job_seed, self.primary, self.ratios)

    def sku(self, sku_id: int) -> dict[str, Any]:
        if sku_id >= self.skus:
            assert self.assets is not None
            return model_sku(self.assets, sku_id - self.skus, sku_id)
        return _sku(self.seed, sku_id, self.families)

    def bounds(self, sku_id: int) -> tuple[list, list]:
        if sku_id >= self.skus:
            low, high = self.sku(sku_id)["bounds_local"]
            return low, high
        return _sku_bounds(self.seed, sku_id, self.families)

    def draw(self, rng: np.random.Generator) -> int:
        """Rejection sampling (no list of the catalogue, which may hold millions of SKUs); a split too rare to
        hit falls back to the primary itself. A share of the draws (``assets.model_share``) are user models."""
        if self.assets is not None and rng.uniform() < self.assets.model_share:
            for _ in range(len(self.assets.models) * 20):
                sku_id = self.skus + draw_model(self.assets, rng)
                if sku_split(self.seed, sku_id, self.ratios) == self.split:
                    return sku_id
            if self.assets.model_share >= 1.0:
                return self.primary
        for _ in range(self.MAX_TRIES):
            sku_id = int(rng.integers(self.skus))
            if sku_split(self.seed, sku_id, self.ratios) == self.split:
                return sku_id
        return self.primary

    def hand_identity(self, rng: np.random.Generator, identities: int) -> int:
        """A hand identity of the scene's split (its group "identity:<id>"), so that hands, like products, stay in
        one split. Drawn by rejection; a small catalogue is then searched in order, and only when no identity at
        all falls in that split does a hand appear in two splits (``synthgen inspect`` warns about it)."""
        ratios = dict(self.ratios)

        def in_split(identity_id: int) -> bool:
            return assign_split(self.seed, f"identity:{identity_id}", ratios) == self.split

        for _ in range(self.MAX_TRIES):
            identity_id = int(rng.integers(identities))
            if in_split(identity_id):
                return identity_id
        return next((i for i in range(min(identities, 10 * self.MAX_TRIES)) if in_split(i)), identity_id)


def _placement(
    cat: _Catalogue,
    sku_id: int,
    rest: str,
    yaw: float,
    xy: Any,
    z: float,
    rng: np.random.Generator,
    scene: ProductsScene,
) -> dict[str, Any]:
    sku = cat.sku(sku_id)
    low, high = cat.bounds(sku_id)
    defect = None
    drawn = rng.uniform() < scene.defects.rate
    if drawn and sku["family"] == MODEL_FAMILY:
        if sku["defect_eligible"] and scene.defects.types.get("dent", 0.0) > 0:
            defect = model_dent(sku, rng)  # a user's model: dents only (synthgen.assets.model_skus)
    elif drawn:
        mesh = _sku_mesh(cat.seed, sku_id, cat.families)
        defect = sample_defect(rng, sku, mesh, scene.defects.types)
        low, high = local_bounds(deform(mesh, defect, sku))  # a lifted cap or flap may stick out
    return {
        "sku_id": sku_id,
        "rest": rest,
        "yaw_deg": round(yaw, 4),
        "matrix_world": object_matrix(low, high, rest, yaw, xy, z).round(6).tolist(),
        "bounds_local": [[round(v, 6) for v in low], [round(v, 6) for v in high]],
        "defect": defect,
    }


def _rest(rng: np.random.Generator, family: str) -> str:
    return "flat" if rng.uniform() < FLAT_FAMILIES.get(family, 0.0) else "upright"


def _scatter(cat: _Catalogue, scene: ProductsScene, rng: np.random.Generator, belt: bool) -> tuple[list, dict]:
    """Table: products scattered round the centre. Belt: products in a file along x, spaced, any heading."""
    count = min(scene.max_products, int(rng.integers(scene.products[0], scene.products[1] + 1)))
    ids = [cat.primary] + [cat.draw(rng) for _ in range(count - 1)]
    rests = [_rest(rng, cat.sku(i)["family"]) for i in ids]
    sizes = [footprint(*cat.bounds(i), rest) for i, rest in zip(ids, rests, strict=True)]
    radii = [math.hypot(hx, hy) for hx, hy, _ in sizes]
    yaws = [float(rng.uniform(-180, 180)) if belt else float(rng.uniform(-50, 50)) for _ in ids]
    placements = []
    extra: dict[str, Any] = {}
    if belt:
        belt_width = uniform(rng, (0.35, 0.6))
        x = 0.0
        for sku_id, rest, radius, yaw in zip(ids, rests, radii, yaws, strict=True):
            lateral = max(0.0, belt_width / 2 - radius - 0.02)
            y = float(rng.uniform(-lateral, lateral))
            placements.append(_placement(cat, sku_id, rest, yaw, (x + radius, y), 0.0, rng, scene))
            x += 2 * radius + uniform(rng, (0.03, 0.15))
        shift = x / 2
        for p in placements:
            p["matrix_world"][0][3] = round(p["matrix_world"][0][3] - shift, 6)
        extra["conveyor"] = {
            "width_m": belt_width,
            "direction": [1.0, 0.0, 0.0] if rng.uniform() < 0.5 else [-1.0, 0.0, 0.0],
            "speed_m_s": uniform(rng, (0.1, 0.5)),
            "belt_color": linear_colour(rng, (0.0, 0.3), (0.05, 0.2)),
            "frame_color": linear_colour(rng, (0.0, 0.1), (0.5, 0.8)),
            "rib_scale": uniform(rng, (40.0, 120.0)),
        }
    else:
        # Products stand in a loose group (about a third of the square covered), as on a counter or a desk.
        spread = max(max(radii) + 0.02, math.sqrt(sum(math.pi * r * r for r in radii) / 0.35) / 2)
        centres = pack_circles(rng, radii, (spread, spread), GAP_M)
        for sku_id, rest, yaw, centre in zip(ids, rests, yaws, centres, strict=True):
            if centre is not None:
                placements.append(_placement(cat, sku_id, rest, yaw, centre, 0.0, rng, scene))
    return placements, extra


def _shelf(cat: _Catalogue, scene: ProductsScene, rng: np.random.Generator, resolution: tuple[int, int]) -> tuple:
    """A gondola run in a store aisle, full of facings (synthgen.scenes.products.store); the camera comes with it."""

    def place(sku_id: int, yaw: float, xy: tuple[float, float], z: float) -> dict[str, Any]:
        return _placement(cat, sku_id, "upright", yaw, xy, z, rng, scene)

    placements, shelf, camera = fill_aisle(cat, scene, rng, resolution, place)
    return placements, {"shelf": shelf}, camera


def _camera(scene: ProductsScene, layout: str, placements: list, resolution: tuple[int, int], rng: np.random.Generator,
            primary_xyz: np.ndarray) -> dict[str, Any]:  # fmt: skip
    corners = []
    for p in placements:
        m = np.array(p["matrix_world"])
        low, high = np.array(p["bounds_local"])
        local = np.array([[a, b, c] for a in (low[0], high[0]) for b in (low[1], high[1]) for c in (low[2], high[2])])
        corners.append(local @ m[:3, :3].T + m[:3, 3])
    pts = np.vstack(corners)
    cam = scene.camera
    focal = uniform(rng, cam.focal_mm)
    fov = horizontal_fov(focal, cam.sensor_mm) * min(resolution) / max(resolution)
    fill = uniform(rng, cam.fill)
    if layout == "conveyor":  # a stretch of the belt round the primary product
        near = np.linalg.norm(pts[:, :2] - primary_xyz[:2], axis=1) < 0.35
        pts = pts[near] if near.any() else pts
    centre = (pts.min(axis=0) + pts.max(axis=0)) / 2
    radius = float(np.linalg.norm(pts.max(axis=0) - pts.min(axis=0)) / 2)
    if layout == "tabletop":
        # The subject and what stands round it, not the whole table: the frame spans 2.5 to 4 subject sizes.
        subject = float(np.linalg.norm(np.subtract(*placements[0]["bounds_local"]))) / 2
        radius = float(np.clip(radius, 2.5 * subject, max(4.0 * subject, 0.12)))
        centre = 0.5 * (centre + primary_xyz)
    look_at = centre + rng.normal(0.0, 0.05 * radius, size=3)
    distance = framing_distance(radius, fill, fov)
    azimuth = rng.uniform(0, 2 * math.pi)
    if layout == "tabletop":
        # From the subject's side of the group (the others behind and beside it, not in front of it).
        outwards = primary_xyz[:2] - centre[:2]
        if np.linalg.norm(outwards) > 0.01:
            azimuth = math.atan2(outwards[1], outwards[0]) + (azimuth - math.pi) / 3
    low, high = cam.elevation_deg
    if layout == "conveyor":
        low, high = max(low, 45.0), max(high, 80.0)
    else:
        # Looking down steeply enough that the top of the frame stays on the table (no horizon, no floor edge).
        half_fov = math.degrees(math.atan(cam.sensor_mm / (2 * focal))) + abs(cam.roll_deg[1]) * 0.3 + 6.0
        low, high = max(low, half_fov), max(high, half_fov + 10.0)
    elevation = math.radians(uniform(rng, (low, high)))
    location = look_at + distance * direction_from_angles(azimuth, elevation)
    return {
        "location": location.tolist(),
        "look_at": look_at.tolist(),
        "roll_deg": uniform(rng, cam.roll_deg),
        "focal_mm": focal,
        "sensor_mm": cam.sensor_mm,
    }


def grip_diameter(sku: dict[str, Any]) -> float:
    """What a hand closes round: the diameter of round packs, the depth of flat ones (clipped to a grasp)."""
    width, depth, _ = sku["size"]
    family = sku["family"]
    size = width if family in ("bottle", "can", "jar") else depth
    return float(np.clip(size, 0.02, 0.08))


def _hand_held(job_seed: int, scene: ProductsScene, cat: _Catalogue, rng: np.random.Generator, spp: int) -> dict:
    """One product in a hand whose grasp closes round it; the worker fits the product into the posed hand."""
    hands = HandsScene(
        identities=scene.hand_identities,
        samples_per_identity=1,
        camera=HandCameraSampling(mode="orbit", fill=(0.5, 0.7)),
    )
    identity_id = cat.hand_identity(rng, scene.hand_identities)
    spec = sample_hands_spec(job_seed, hands, identity_id, rng, spp)
    sku = cat.sku(cat.primary)
    spec["hand"]["pose"] = sample_hand_pose(rng, "grasp", grasp_diameter_m=grip_diameter(sku))
    placement = _placement(cat, cat.primary, "upright", 0.0, (0.0, 0.0), 0.0, rng, scene)
    placement["instance_id"] = 2  # the hand is instance 1
    grip = {"along": uniform(rng, (0.3, 0.5)), "diameter_m": grip_diameter(sku)}  # what the hand closes round
    if sku["family"] == MODEL_FAMILY:  # a user's model: a power grasp of its diameter, no contact fitting
        spec |= {"kind": "hand_with_product", "products": [placement], "grip": grip | {"type": "power"}}
        return spec
    # The digits closed on the product's surface, and where it sits in the hand (synthgen.scenes.products.grasp).
    fitted = fit_grasp(sku, rng, grip["along"])
    spec["hand"]["pose"]["joints"] = fitted["joints"]
    spec["hand"]["pose"]["params"] |= {"grasp_type": fitted["type"]}
    grip |= {k: fitted[k] for k in ("type", "product_in_hand", "clearance_m")}
    if fitted["type"] == "support":  # a carton rests on an upturned palm
        spec["hand"]["rotation_deg"] = [uniform(rng, (-20.0, 20.0)), 180.0, uniform(rng, (0.0, 360.0))]
    view = spec["camera"]["view_dir_hand"]
    if view[2] > 0.0:  # the product is on the palm side (-Z of the hand frame): look from that side
        view[2] = -view[2]
    spec |= {"kind": "hand_with_product", "products": [placement], "grip": grip}
    return spec


def sample_products_spec(
    job_seed: int,
    scene: ProductsScene,
    ratios: dict[str, float],
    resolution: tuple[int, int],
    rng: np.random.Generator,
    spp: int = 32,
    assets: UserAssets | None = None,
) -> dict[str, Any]:
    names = sorted(scene.layouts)
    weights = np.array([scene.layouts[n] for n in names], dtype=float)
    layout = names[int(rng.choice(len(names), p=weights / weights.sum()))]
    cat = _Catalogue(job_seed, scene, ratios, rng, assets)
    if layout == "hand":
        held = _hand_held(job_seed, scene, cat, rng, spp)
        return held | {
            "scene_type": "products",
            "layout": layout,
            "split_group": f"sku:{cat.primary}",
            "sku_id": cat.primary,
            "product_class": cat.sku(cat.primary)["product_class"],
            "skus": {str(cat.primary): cat.sku(cat.primary)},
            # What is seen behind the hand: its backdrop's surface (None before the plain world), not a table.
            "surface": held["background"].get("surface"),
        }
    if layout == "shelf":
        placements, extra, camera = _shelf(cat, scene, rng, resolution)
    else:
        placements, extra = _scatter(cat, scene, rng, belt=layout == "conveyor")
    primary = np.array(placements[0]["matrix_world"])[:3, 3] + np.array(
        [0, 0, 0.5 * placements[0]["bounds_local"][1][2]]
    )
    for instance_id, p in enumerate(placements, start=1):
        p["instance_id"] = instance_id  # instance 1 is the primary product (the row's bbox and sku_id)
    if layout != "shelf":
        camera = _camera(scene, layout, placements, resolution, rng, primary)
    if layout == "conveyor":
        # The subject (instance 1) is the product nearest the camera among those near the middle of the frame,
        # so something in front rarely hides it. Every SKU of the scene shares one split, so this never moves a
        # product across splits.
        location, middle = np.array(camera["location"]), np.array(camera["look_at"])
        reach = 0.5 * float(np.linalg.norm(location - middle)) * math.tan(math.radians(15))
        centres = [np.array(p["matrix_world"])[:3, 3] for p in placements]
        near = [k for k, c in enumerate(centres) if np.linalg.norm(c[:2] - middle[:2]) < reach]
        nearest = min(
            near or range(len(placements)),
            key=lambda k: float(np.linalg.norm(centres[k] - location)),
        )
        placements.insert(0, placements.pop(nearest))
        for instance_id, p in enumerate(placements, start=1):
            p["instance_id"] = instance_id
    primary_sku = placements[0]["sku_id"]
    if layout == "shelf":
        # The floor of the aisle is what the frame shows of a surface: a store floor, if the config allows one.
        floors = [s for s in scene.surfaces if s in STORE_FLOORS] or list(scene.surfaces)
        surface = floors[int(rng.integers(len(floors)))]
        lighting = store_lighting(rng, scene.lights, primary)
    else:
        surface = scene.surfaces[int(rng.integers(len(scene.surfaces)))]
        lighting = sample_lighting(rng, scene.lights, primary)
    skus = {str(i): cat.sku(i) for i in sorted({p["sku_id"] for p in placements})}
    return {
        "kind": "product",
        "scene_type": "products",
        "layout": layout,
        "split_group": f"sku:{primary_sku}",
        "sku_id": primary_sku,
        "product_class": cat.sku(primary_sku)["product_class"],
        "skus": skus,
        "products": placements,
        "surface": sample_surface(rng, surface),
        "camera": camera,
        "lighting": lighting,
        **extra,
    }
