"""What the sensor and the camera's auto-exposure do to a render (pure numpy, tested without Blender).

- ``metered_ev``: the exposure correction a camera's meter picks, from the linear render and the subject mask
  (centre-weighted log average, the subject weighted apart from the background), towards a target grey.
- ``apply_rgb_sensor``: white-balance error and shot + read noise, in linear light, on the display image.
- ``apply_nir_sensor``: an NIR capture's LED-ring vignetting, the ring's specular hotspot on the subject, gain and
  noise (the band sets the quantum efficiency, so a 940 nm sensor needs more gain for the same image).

Display images are 8-bit; they are linearised with the sRGB curve, which is exact for the NIR capture (rendered
with the Standard view transform) and close for AgX in the mid-tones the noise matters in.
"""

from __future__ import annotations

from typing import Any

import numpy as np

LUMINANCE = np.array([0.2126, 0.7152, 0.0722])
# Relative quantum efficiency of a silicon sensor at the NIR bands (850 nm: 1); a 940 nm capture is as bright
# (the gain is raised to match) but noisier.
BAND_QE = {850: 1.0, 940: 0.55}


def _centre_weights(height: int, width: int, sigma: float) -> np.ndarray:
    rows, cols = np.mgrid[0:height, 0:width]
    diagonal = float(np.hypot(height, width))
    r2 = ((rows + 0.5 - height / 2) ** 2 + (cols + 0.5 - width / 2) ** 2) / diagonal**2
    return np.exp(-r2 / (2.0 * sigma**2))


def metered_ev(linear_rgb: np.ndarray, subject: np.ndarray, metering: dict[str, Any]) -> float:
    """Stops to add so the metered region's log-average luminance lands on ``target_grey``, clipped to
    +-``max_ev``. ``subject`` (bool, H x W) gets ``subject_weight`` of the meter, the rest of the frame the rest;
    both are centre-weighted. Without a visible subject the whole frame is metered, centre-weighted."""
    luminance = np.maximum(np.asarray(linear_rgb, dtype=np.float64)[..., :3] @ LUMINANCE, 1e-6)
    height, width = luminance.shape
    centre = _centre_weights(height, width, metering["centre_sigma"])
    subject = np.asarray(subject, dtype=bool)
    weights = centre.copy()
    if subject.any() and (~subject).any():
        share = metering["subject_weight"]
        weights = np.where(
            subject, share * centre / centre[subject].sum(), (1.0 - share) * centre / centre[~subject].sum()
        )
    log_mean = float(np.sum(weights * np.log2(luminance)) / np.sum(weights))
    ev = float(np.log2(metering["target_grey"])) - log_mean
    return float(np.clip(ev, -metering["max_ev"], metering["max_ev"]))


def srgb_to_linear(x: np.ndarray) -> np.ndarray:
    return np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return np.where(x <= 0.0031308, x * 12.92, 1.055 * np.power(x, 1.0 / 2.4) - 0.055)


def _decode(image: np.ndarray) -> np.ndarray:
    return srgb_to_linear(image.astype(np.float64) / 255.0)


def _encode(linear: np.ndarray) -> np.ndarray:
    return np.rint(linear_to_srgb(linear) * 255.0).astype(np.uint8)


def _noisy(signal: np.ndarray, shot: float, read: float, rng: np.random.Generator) -> np.ndarray:
    """Gaussian approximation of Poisson photon noise (variance shot^2 * signal) plus read noise."""
    sigma = np.sqrt(shot * shot * np.maximum(signal, 0.0) + read * read)
    return signal + sigma * rng.standard_normal(signal.shape)


def apply_rgb_sensor(image: np.ndarray, sensor: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
    """An 8-bit RGB image through the sensor: shot and read noise, then the ISP's white-balance gains (R, G, B),
    whose error from the true white point is what ``wb_gains`` holds."""
    noisy = _noisy(_decode(image), sensor["shot_noise"], sensor["read_noise"], rng)
    return _encode(noisy * np.asarray(sensor["wb_gains"], dtype=np.float64))


def led_ring_falloff(height: int, width: int, vignetting: float) -> np.ndarray:
    """Irradiance of a ring light round the lens across the frame: 1 at the centre, 1 - vignetting at the corner
    (a cos^4-like roll-off, steeper than a lens's own vignetting because the LEDs' beams are narrow too)."""
    rows, cols = np.mgrid[0:height, 0:width]
    rho2 = ((rows + 0.5 - height / 2) ** 2 + (cols + 0.5 - width / 2) ** 2) / ((height / 2) ** 2 + (width / 2) ** 2)
    return 1.0 - vignetting * rho2**1.25


def specular_hotspot(height: int, width: int, nir: dict[str, Any]) -> np.ndarray:
    """The LED ring's reflection on moist skin: a Gaussian of peak ``hotspot`` near the image centre."""
    rows, cols = np.mgrid[0:height, 0:width]
    cx = width * (0.5 + nir["hotspot_offset"][0])
    cy = height * (0.5 + nir["hotspot_offset"][1])
    sigma = nir["hotspot_sigma"] * max(height, width)
    r2 = (cols + 0.5 - cx) ** 2 + (rows + 0.5 - cy) ** 2
    return nir["hotspot"] * np.exp(-r2 / (2.0 * sigma * sigma))


def apply_nir_sensor(
    nir_image: np.ndarray, subject: np.ndarray, nir: dict[str, Any], rng: np.random.Generator
) -> np.ndarray:
    """An 8-bit NIR capture through the scanner: LED-ring fall-off, the hotspot on the subject, gain, noise."""
    height, width = nir_image.shape
    linear = _decode(nir_image) * led_ring_falloff(height, width, nir["vignetting"])
    linear = linear + specular_hotspot(height, width, nir) * np.asarray(subject, dtype=np.float64)
    qe = BAND_QE.get(int(nir["band_nm"]), 1.0)
    gain = 2.0 ** nir["gain_stops"]
    # Fewer photo-electrons per grey level at a weaker band: shot noise grows by 1/sqrt(QE), read noise by 1/QE.
    noisy = _noisy(linear, nir["shot_noise"] / np.sqrt(qe), nir["read_noise"] / qe, rng)
    return _encode(noisy * gain)


def clipped_fractions(image: np.ndarray) -> tuple[float, float]:
    """Shares of pixels with any channel at 255 and with every channel at 0."""
    image = np.asarray(image)
    if image.ndim == 2:
        image = image[..., None]
    return float(np.mean(np.any(image == 255, axis=-1))), float(np.mean(np.all(image == 0, axis=-1)))
