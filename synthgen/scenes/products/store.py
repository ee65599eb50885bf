"""A store aisle: a run of gondola bays full of facings, a floor, a ceiling with rows of light fixtures.

Pure geometry and seeded draws. The camera is placed first (in front of the primary product, as a shopper holds
a phone); the boards are then filled bay after bay, run after run (one SKU repeated side by side, fronts flush
with the shelf edge, more of the same behind), but only the products the camera's frustum can reach become
placements: a whole aisle is drawn, a frame's worth is built.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from synthgen.scenes.common.camera_math import direction_from_angles, framing_distance, horizontal_fov, look_at
from synthgen.scenes.common.color import kelvin_to_rgb
from synthgen.scenes.common.sampling import linear_colour, uniform
from synthgen.scenes.products.layout import footprint

BAYS = 3  # the bay holding the primary product and one on each side
UPRIGHT_M = 0.04  # the gondola's uprights between bays
ROWS = 2  # facings one behind the other at most (a third is hardly ever seen)
MISSING_FRONT = 0.06  # share of front facings sold out (the one behind shows)
TURN_DEG = 3.0  # facings stand turned by at most this much


def camera_in_aisle(rng: np.random.Generator, cam: Any, primary_xyz: np.ndarray, resolution: tuple[int, int]) -> dict:
    """A phone held in the aisle in front of the primary product, framing a section of shelf round it."""
    focal = uniform(rng, cam.focal_mm)
    fov = horizontal_fov(focal, cam.sensor_mm) * min(resolution) / max(resolution)
    look = primary_xyz + np.array([rng.normal(0, 0.05), 0.0, rng.normal(0, 0.04)])
    distance = framing_distance(uniform(rng, (0.22, 0.5)), uniform(rng, cam.fill), fov)
    azimuth = math.radians(-90 + rng.normal(0, 12))
    # Held at chest height: low shelves are seen from above, high ones from slightly below.
    elevation = math.radians(float(np.clip(rng.normal(5, 6) + 25.0 * max(0.0, 0.9 - primary_xyz[2]), -20, 55)))
    location = look + distance * direction_from_angles(azimuth, elevation)
    return {
        "location": location.tolist(),
        "look_at": look.tolist(),
        "roll_deg": uniform(rng, cam.roll_deg),
        "focal_mm": focal,
        "sensor_mm": cam.sensor_mm,
    }


def visible_window(camera: dict[str, Any], planes_y: tuple[float, float], margin: float = 0.08) -> np.ndarray:
    """[[x0, x1], [z0, z1]]: what the frustum covers between the planes y = planes_y (the shelf's front and
    back), grown by ``margin``; the wider sensor side is used both ways, so nothing in frame is left out."""
    pose = look_at(np.array(camera["location"]), np.array(camera["look_at"]), camera["roll_deg"])
    right, up, forward = pose[:3, 0], pose[:3, 1], -pose[:3, 2]
    spread = 1.1 * camera["sensor_mm"] / (2 * camera["focal_mm"])
    origin = np.array(camera["location"])
    hits = []
    for a in (-1, 1):
        for b in (-1, 1):
            ray = forward + spread * (a * right + b * up)
            for y in planes_y:
                if ray[1] * (y - origin[1]) > 0:
                    hits.append(origin + ray * (y - origin[1]) / ray[1])
    pts = np.array(hits)
    return np.array([[pts[:, 0].min() - margin, pts[:, 0].max() + margin],
                     [pts[:, 2].min() - margin, pts[:, 2].max() + margin]])  # fmt: skip


def _runs(cat: Any, rng: np.random.Generator, start: float, end: float, height_limit: float, first: int | None):
    """Runs of facings filling the board from ``start`` to ``end``: [(sku_id, x_start, half_w, half_d, count)]."""
    runs = []
    x = start
    misses = 0
    while x < end - 0.03 and misses < 12:
        sku_id = first if first is not None and not runs else cat.draw(rng)
        hx, hy, height = footprint(*cat.bounds(sku_id), "upright")
        pitch = 2 * hx + 2 * math.sin(math.radians(TURN_DEG)) * hy + 0.004
        if height > height_limit or x + pitch > end:
            misses += 1  # too tall for this board or too wide for what is left of it
            if first is not None and not runs:
                break
            continue
        count = min(int(rng.integers(1, 6)), int((end - x) // pitch))
        runs.append((sku_id, x, hx, hy, count, pitch))
        x += count * pitch + uniform(rng, (0.0, 0.012))
    return runs


def fill_aisle(cat: Any, scene: Any, rng: np.random.Generator, resolution: tuple[int, int], place: Any) -> tuple:
    """(placements, shelf spec, camera): the gondola, the primary's run on a board of the middle bay."""
    boards = int(rng.integers(4, 6))
    width, depth = uniform(rng, (0.9, 1.25)), uniform(rng, (0.32, 0.45))
    base = uniform(rng, (0.12, 0.22))
    tallest_primary = footprint(*cat.bounds(cat.primary), "upright")[2]
    spacing = max(uniform(rng, (0.28, 0.38)), tallest_primary + 0.04)
    primary_board = int(rng.integers(boards))
    bay_half = width / 2 - 0.012
    # The primary's run starts somewhere on its board of the middle bay.
    primary_hx = footprint(*cat.bounds(cat.primary), "upright")[0]
    primary_x = uniform(rng, (-bay_half, max(-bay_half, bay_half - 6 * primary_hx)))
    z_primary = base + primary_board * spacing
    primary_xyz = np.array([primary_x + primary_hx, -depth / 2, z_primary + 0.5 * tallest_primary])
    camera = camera_in_aisle(rng, scene.camera, primary_xyz, resolution)
    window = visible_window(camera, (-depth / 2, depth / 2))
    candidates: list[tuple[int, float, tuple]] = []  # (row, distance to the look-at point, what to place)
    tags: list[list[float]] = []  # price tags on the shelf edge: [x, board index] under each run of facings
    look = np.array(camera["look_at"])
    for bay in range(BAYS):
        centre = (bay - BAYS // 2) * width
        for board in range(boards):
            z = base + board * spacing
            if z > window[1][1] or z + spacing < window[1][0]:
                continue  # a board the camera cannot see
            left, right = centre - bay_half, centre + bay_half
            if bay == BAYS // 2 and board == primary_board:
                runs = _runs(cat, rng, left, primary_x, spacing - 0.03, None)
                runs += _runs(cat, rng, primary_x, right, spacing - 0.03, cat.primary)
            else:
                runs = _runs(cat, rng, left, right, spacing - 0.03, None)
            for sku_id, x0, hx, hy, count, pitch in runs:
                if x0 + count * pitch < window[0][0] or x0 > window[0][1]:
                    continue
                tags.append([round(x0 + count * pitch / 2, 5), board])
                slack = math.sin(math.radians(TURN_DEG)) * hy
                rows = max(1, min(ROWS, int((depth - 0.01) // (2 * hy + 2 * slack + 0.006))))
                for k in range(count):
                    x = x0 + k * pitch + hx + slack
                    if not window[0][0] - hx < x < window[0][1] + hx:
                        continue
                    is_primary = sku_id == cat.primary and bay == BAYS // 2 and board == primary_board
                    missing = not is_primary and rng.uniform() < MISSING_FRONT
                    y = -depth / 2 + hy + slack + uniform(rng, (0.002, 0.01))
                    for row in range(rows):
                        if not (row == 0 and missing):
                            yaw = float(np.clip(rng.normal(0.0, 1.2), -TURN_DEG, TURN_DEG))
                            distance = 0.0 if is_primary and row == 0 else math.hypot(x - look[0], z - look[2])
                            candidates.append((row, distance, (sku_id, yaw, (x, y), z)))
                        y += 2 * hy + 2 * slack + 0.006
    # The front rows nearest the look-at point first (the primary leads), so a cap on products drops back rows
    # and far ones, which the frame shows least.
    candidates.sort(key=lambda c: (c[0] > 0, c[1]))
    placements = [place(*what) for _, _, what in candidates[: scene.max_products]]
    top = base + boards * spacing
    shelf = {
        "boards": boards,
        "bays": BAYS,
        "spacing_m": spacing,
        "width_m": width,
        "depth_m": depth,
        "base_m": base,
        "top_m": top,
        "board_color": linear_colour(rng, (0.0, 0.15), (0.6, 0.95)),
        "back_color": linear_colour(rng, (0.0, 0.3), (0.3, 0.9)),
        "edge_color": linear_colour(rng, (0.0, 0.3), (0.15, 0.95)),  # price rails: mostly white, grey or black
        "tags": tags,
    }
    return placements, shelf, camera


def store_lighting(rng: np.random.Generator, cfg: Any, target: np.ndarray) -> dict[str, Any]:
    """Rows of ceiling fixtures along the aisle (fluorescent tubes or LED battens, one colour temperature for the
    store), a weak world for the bounce from everything out of frame."""
    ceiling = uniform(rng, (2.7, 3.4))
    kelvin = uniform(rng, (3500.0, 6500.0))
    length = uniform(rng, (1.2, 1.6))
    pitch = length + uniform(rng, (0.3, 1.2))
    aisle_y = -uniform(rng, (0.9, 1.3))  # the middle of the aisle, in front of the gondola
    rows = [aisle_y] + ([uniform(rng, (0.4, 0.8))] if rng.uniform() < 0.5 else [])  # and over the next aisle
    # Power: the products lit as by the generic lights (cfg.power_w at 1 m), spread over the fixtures in reach.
    power = uniform(rng, cfg.power_w) * (ceiling - target[2]) ** 2 / 2.0
    offset = float(rng.uniform(0, pitch))
    fixtures = []
    for y in rows:
        for k in range(-3, 4):
            x = target[0] + offset + k * pitch
            if abs(x - target[0]) < 3.5:
                fixtures.append({"centre": [x, y, ceiling - 0.04], "length_m": length, "power_w": power})
    world_kelvin = uniform(rng, (4500.0, 7000.0))
    return {
        "world": {
            "kelvin": world_kelvin,
            "color": list(kelvin_to_rgb(world_kelvin)),
            "strength": uniform(rng, (0.05, 0.2)),
            "sky": {"enabled": False},
        },
        "lights": [],
        "store": {
            "ceiling_m": ceiling,
            "kelvin": kelvin,
            "color": list(kelvin_to_rgb(kelvin)),
            "fixture_width_m": uniform(rng, (0.06, 0.2)),
            "fixtures": fixtures[:16],
            "ceiling_color": linear_colour(rng, (0.0, 0.1), (0.6, 0.85)),
            "wall_color": linear_colour(rng, (0.0, 0.4), (0.4, 0.8)),
        },
    }
