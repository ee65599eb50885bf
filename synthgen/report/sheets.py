"""Contact sheets: each sample as a row of tiles side by side - the image with its boxes, the mask over the
image with keypoints, the depth map, and the near-infrared capture when the dataset has one."""

from __future__ import annotations

import io
from typing import Any

import cv2
import numpy as np
from PIL import Image, ImageDraw

from synthgen.dataset.image_codec import decode_image
from synthgen.scenes.hands.keypoints import KEYPOINT_EDGES

TILE_PX = 192
GAP_PX = 4
BACKGROUND = (24, 24, 24)
PALETTE = np.array(
    [
        [0, 0, 0],
        [230, 25, 75],
        [60, 180, 75],
        [255, 225, 25],
        [0, 130, 200],
        [245, 130, 48],
        [145, 30, 180],
        [70, 240, 240],
        [240, 50, 230],
    ],
    dtype=np.uint8,
)
ROI_COLOUR = (255, 255, 255)
# The 21-point hand order of docs/dataset-format.md: wrist, then thumb, index, middle, ring, little (4 each).
FINGER_COLOURS = [(255, 80, 80), (255, 190, 40), (80, 220, 80), (60, 160, 255), (200, 90, 255)]


def colour_mask(mask: np.ndarray) -> np.ndarray:
    return PALETTE[mask % len(PALETTE)]


def tile_names(has_nir: bool, has_keypoints: bool = True) -> list[str]:
    names = ["image + boxes", "mask + keypoints" if has_keypoints else "mask over the image", "depth"]
    return [*names, "near infrared"] if has_nir else names


def _depth_colours(depth: np.ndarray) -> tuple[np.ndarray, tuple[float, float] | None]:
    """Turbo colours (red near, blue far) over the 1st-99th percentile of the hits, and that (near, far) in mm."""
    depth = depth.astype(np.float32)
    valid = depth > 0
    scaled = np.zeros(depth.shape, np.uint8)
    span = None
    if valid.any():
        near, far = np.percentile(depth[valid], [1, 99])
        scaled[valid] = np.clip(255 * (1 - (depth[valid] - near) / max(far - near, 1e-6)), 0, 255).astype(np.uint8)
        span = (float(near), float(far))
    rgb = _turbo(scaled)
    rgb[~valid] = 0
    return rgb, span


def _turbo(scaled: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(cv2.applyColorMap(scaled, cv2.COLORMAP_TURBO), cv2.COLOR_BGR2RGB)


def _distance_text(mm: float) -> str:
    return f"{mm / 1000:.2f} m" if mm >= 1000 else f"{mm:.0f} mm"


def _draw_depth_scale(tile: Image.Image, span: tuple[float, float] | None) -> None:
    """A colour bar at the tile's right edge, labelled with the near (top) and far (bottom) distance."""
    if span is None:
        return
    width, height = tile.size
    bar_h = height - 28
    ramp = np.linspace(255, 0, bar_h).astype(np.uint8)[:, None].repeat(6, axis=1)
    tile.paste(Image.fromarray(_turbo(ramp)), (width - 9, 14))
    draw = ImageDraw.Draw(tile)
    draw.rectangle([width - 10, 13, width - 3, 14 + bar_h], outline=(255, 255, 255))
    for y, mm in ((2, span[0]), (height - 12, span[1])):
        text = _distance_text(mm)
        x = width - 4 - draw.textlength(text)
        draw.rectangle([x - 1, y, width - 2, y + 10], fill=(0, 0, 0))
        draw.text((x, y), text, fill=(255, 255, 255))


def sample_caption(row: dict[str, Any]) -> tuple[str, bool]:
    """(what the row is, whether it is an attack): "12 hand live", "40 hand ATTACK print", "7 product"."""
    words = [str(row.get("sample_id", ""))]
    if row.get("scene_part"):  # a mixed job's part says more than the kind ("palm-scanner" vs "hand")
        words.append(str(row["scene_part"]))
    elif row.get("kind"):
        words.append(str(row["kind"]))
    if row.get("environment") and row["environment"] != "plain":
        words.append(str(row["environment"]))
    attack = row.get("attack_type")
    if attack:
        words += ["ATTACK", str(attack)]
    elif row.get("is_live") is not None and row.get("kind") == "hand":
        words.append("live")
    return " ".join(w for w in words if w), bool(attack)


def _resized(array: np.ndarray, scale: float, smooth: bool) -> Image.Image:
    size = (max(1, round(array.shape[1] * scale)), max(1, round(array.shape[0] * scale)))
    return Image.fromarray(array).resize(size, Image.BILINEAR if smooth else Image.NEAREST)


def _draw_keypoints(tile: Image.Image, keypoints: Any, visible: Any, scale: float) -> None:
    points = np.asarray(keypoints, dtype=float).reshape(-1, 2) * scale
    seen = np.asarray(visible, dtype=bool) if visible is not None else np.ones(len(points), bool)
    draw = ImageDraw.Draw(tile)
    if len(points) == 21:
        for a, b in KEYPOINT_EDGES:
            finger = (max(a, b) - 1) // 4
            draw.line([tuple(points[a]), tuple(points[b])], fill=FINGER_COLOURS[finger], width=1)
    for i, (x, y) in enumerate(points):
        colour = FINGER_COLOURS[(i - 1) // 4] if len(points) == 21 and i > 0 else (255, 255, 255)
        box = [x - 2.5, y - 2.5, x + 2.5, y + 2.5]
        draw.ellipse(box, fill=colour if seen[i] else None, outline=(0, 0, 0) if seen[i] else colour)


def sample_tiles(row: dict[str, Any], with_nir: bool) -> list[Image.Image]:
    """The tiles of one row (``image``, ``mask``, ``depth``, ``instances`` and, if present, ``keypoints_2d``,
    ``keypoints_visible``, ``palm_roi``, ``nir``)."""
    image = decode_image(row["image"]["bytes"])
    mask = decode_image(row["mask"]["bytes"])
    scale = TILE_PX / max(image.shape[:2])
    overlay = image.copy()
    hit = mask > 0
    overlay[hit] = (0.45 * image[hit] + 0.55 * colour_mask(mask)[hit]).astype(np.uint8)

    first = _resized(image, scale, smooth=True)
    draw = ImageDraw.Draw(first)
    for instance in row.get("instances") or []:
        box = [c * scale for c in instance["bbox"]]
        draw.rectangle(box, outline=tuple(int(c) for c in PALETTE[instance["id"] % len(PALETTE)]), width=2)
    roi = row.get("palm_roi")
    if roi is not None and len(roi) == 4:
        draw.rectangle([c * scale for c in roi], outline=ROI_COLOUR, width=1)
    elif roi is not None and len(roi) == 8:
        draw.polygon([c * scale for c in roi], outline=ROI_COLOUR)
    caption, is_attack = sample_caption(row)
    left, top, right, bottom = draw.textbbox((3, 2), caption)
    draw.rectangle([left - 2, top - 1, right + 2, bottom + 1], fill=(190, 20, 20) if is_attack else (0, 0, 0))
    draw.text((3, 2), caption, fill=(255, 255, 255))

    second = _resized(overlay, scale, smooth=False)
    if row.get("keypoints_2d"):
        _draw_keypoints(second, row["keypoints_2d"], row.get("keypoints_visible"), scale)
    depth_rgb, span = _depth_colours(decode_image(row["depth"]["bytes"]))
    depth_tile = _resized(depth_rgb, scale, smooth=False)
    _draw_depth_scale(depth_tile, span)
    tiles = [first, second, depth_tile]
    if with_nir:
        cell = row.get("nir")
        if cell is not None and cell.get("bytes"):
            tiles.append(_resized(decode_image(cell["bytes"]), scale, smooth=True))
        else:
            tiles.append(Image.new("RGB", first.size, BACKGROUND))
    return tiles


def contact_sheet(rows: list[dict[str, Any]], per_row: int = 4) -> Image.Image:
    """Samples laid out ``per_row`` to a line, each as its tiles side by side."""
    with_nir = any((r.get("nir") or {}).get("bytes") for r in rows)
    tiles = [sample_tiles(row, with_nir) for row in rows]
    per_sample = len(tile_names(with_nir))
    cell = TILE_PX + GAP_PX
    columns = min(per_row, len(tiles)) * per_sample
    lines = -(-len(tiles) // per_row)
    sheet = Image.new("RGB", (columns * cell + GAP_PX, lines * cell + GAP_PX), BACKGROUND)
    for i, sample in enumerate(tiles):
        top = (i // per_row) * cell + GAP_PX
        for j, tile in enumerate(sample):
            sheet.paste(tile.convert("RGB"), (((i % per_row) * per_sample + j) * cell + GAP_PX, top))
    return sheet


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False, compress_level=6)
    return buffer.getvalue()
