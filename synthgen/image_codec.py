"""PNG encoding and decoding of the image-like columns (RGB uint8, masks uint8, depth uint16)."""

from __future__ import annotations

import cv2
import numpy as np

PNG_COMPRESSION = 3  # zlib level: a good size/speed balance for renders


def encode_png(array: np.ndarray) -> bytes:
    if array.ndim == 3:
        array = cv2.cvtColor(array, cv2.COLOR_RGB2BGR)
    ok, buffer = cv2.imencode(".png", array, [cv2.IMWRITE_PNG_COMPRESSION, PNG_COMPRESSION])
    if not ok:
        raise ValueError(f"cannot encode an array of shape {array.shape} and dtype {array.dtype} as PNG")
    return buffer.tobytes()


def decode_png(data: bytes) -> np.ndarray:
    """PNG bytes to an array: RGB (H, W, 3) uint8, or (H, W) uint8 / uint16 as stored."""
    array = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_UNCHANGED)
    if array is None:
        raise ValueError("not a PNG image")
    if array.ndim == 3:
        array = cv2.cvtColor(array, cv2.COLOR_BGR2RGB)
    return array
