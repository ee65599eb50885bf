"""Skin colour from melanin and blood: a small two-layer spectral reflectance model (pure numpy).

Model (all published, simple; good to a few ITA degrees, not a measurement):
* Epidermis (60 um) absorbs with melanosomes, ``mu_a = f_mel * 6.6e11 * lambda^-3.33 cm^-1`` plus the bloodless
  baseline ``0.244 + 85.3 exp(-(lambda - 154) / 66.2) cm^-1`` (Jacques, "Skin optics", OMLC News 1998).
* Dermis: blood volume fraction ``f_blood`` at saturation ``S`` (Prahl's tabulated molar extinction of HbO2/Hb,
  150 g/l haemoglobin, 64,500 g/mol) plus the same baseline; reduced scattering
  ``mu_s' = 2e5 lambda^-1.5 + 2e12 lambda^-4 cm^-1`` (Jacques 1998).
* Diffuse reflectance of the dermis: Farrell, Patterson & Wilson (1992) total diffuse reflectance of a
  semi-infinite medium (n = 1.4, A = 3.25); seen through the epidermis twice, plus a flat 4% stratum-corneum
  backscatter: ``R = 0.04 + 0.96 * T_epi^2 * R_dermis``.
* Colour: CIE 1931 observer (the multi-lobe Gaussian fit of Wyman, Sloan & Shirley, JCGT 2013) under a 6504 K
  black body, to linear sRGB, white-balanced so a perfect reflector is (1, 1, 1).
* Fitzpatrick types are mapped to melanin bands where the model's Individual Typology Angle
  ``ITA = atan((L* - 50) / b*)`` (Chardon 1991; Del Bino & Bernerd 2013) crosses the category limits
  55 / 41 / 28 / 10 / -30 degrees at 1% blood: very light (I), light (II), intermediate (III), tan (IV),
  brown (V), dark (VI). The resulting melanin fractions (0.5%-50%) span the 1.3-43% range Jacques gives.
* Palmar skin has about a fifth of the melanocyte density of other skin (Yamaguchi et al., J Cell Biol 2004),
  so the palm uses ``palm_melanin = melanin * U(0.2, 0.4)``: dark hands have much lighter palms.
* Palms are also pinker: glabrous skin has the body's densest dermal capillary loops and arteriovenous shunts
  (the palm's haemoglobin is 1.5-2.1x the back of the hand's), and its stratum corneum is ten times thicker, which
  backscatters more before any absorption (``PALM_BACKSCATTER`` 8% instead of 4%). The result, per type, palm
  against dorsum: L* equal or higher (I: -0.5, VI: +20) and a* +1.5 to +2.5 for types I-III, as colorimetry of
  palms and backs of hands reports (lighter, redder palms at every type, Xiao et al. 2017, Wang et al. 2015).
"""

from __future__ import annotations

import numpy as np

WAVELENGTHS_NM = np.arange(400.0, 701.0, 10.0)
# Prahl's compilation (Gratzer, Kollias) of haemoglobin molar extinction, cm^-1/M: (HbO2, Hb) every 10 nm 400-700.
_HB_EXTINCTION = np.array([
    [266232, 223296], [466840, 303956], [480360, 407560], [246072, 528600], [102580, 413280], [62816, 103292],
    [44480, 23388.8], [33209.2, 16156.4], [26629.2, 14550], [23684.4, 16684], [20932.8, 20862],
    [20035.2, 25773.6], [24202.4, 31589.6], [39956.8, 39036.4], [53236, 46592], [43016, 53412],
    [32613.2, 53788], [44496, 45072], [50104, 37020], [14400.8, 28324.4], [3200, 14677.2], [1506, 9443.6],
    [942, 6509.6], [610, 5148.8], [442, 4345.2], [368, 3750.12], [319.6, 3226.56], [294, 2795.12],
    [277.6, 2407.92], [276, 2051.96], [290, 1794.28],
])  # fmt: skip
# The same at 850 nm (the usual palm-vein LED), for the NIR albedo.
_HB_EXTINCTION_850 = np.array([1058.0, 691.32])
_HB_G_PER_L, _HB_G_PER_MOL = 150.0, 64500.0
_EPIDERMIS_CM = 0.006
_SURFACE_BACKSCATTER = 0.04
PALM_BACKSCATTER = 0.08  # the palm's thick stratum corneum
_FARRELL_A = 3.25  # internal-reflection parameter for n = 1.4

# Fitzpatrick type -> epidermal melanosome volume fraction band (see the module docstring for the calibration).
FITZPATRICK_MELANIN: dict[int, tuple[float, float]] = {
    1: (0.005, 0.0214),
    2: (0.0214, 0.0469),
    3: (0.0469, 0.0753),
    4: (0.0753, 0.129),
    5: (0.129, 0.326),
    6: (0.326, 0.50),
}
# Del Bino & Bernerd (2013) ITA category limits per Fitzpatrick-like type: (min, max) degrees.
ITA_BANDS: dict[int, tuple[float, float]] = {
    1: (55.0, 90.0),
    2: (41.0, 55.0),
    3: (28.0, 41.0),
    4: (10.0, 28.0),
    5: (-30.0, 10.0),
    6: (-90.0, -30.0),
}


def _lobe(lam: np.ndarray, mu: float, s1: float, s2: float) -> np.ndarray:
    s = np.where(lam < mu, s1, s2)
    return np.exp(-0.5 * ((lam - mu) / s) ** 2)


def _cmf(lam: np.ndarray) -> np.ndarray:
    """(3, N) CIE 1931 x, y, z colour matching functions (Wyman, Sloan & Shirley 2013 multi-lobe fit)."""
    x = (
        1.056 * _lobe(lam, 599.8, 37.9, 31.0)
        + 0.362 * _lobe(lam, 442.0, 16.0, 26.7)
        - 0.065 * _lobe(lam, 501.1, 20.4, 26.2)
    )
    y = 0.821 * _lobe(lam, 568.8, 46.9, 40.5) + 0.286 * _lobe(lam, 530.9, 16.3, 31.1)
    z = 1.217 * _lobe(lam, 437.0, 11.8, 36.0) + 0.681 * _lobe(lam, 459.0, 26.0, 13.8)
    return np.stack([x, y, z])


def _illuminant(lam: np.ndarray, kelvin: float = 6504.0) -> np.ndarray:
    m = lam * 1e-9
    spd = 1.0 / (m**5 * (np.exp(1.4388e-2 / (m * kelvin)) - 1.0))
    return spd / spd.max()


_XYZ_TO_LINEAR_SRGB = np.array([[3.2406, -1.5372, -0.4986], [-0.9689, 1.8758, 0.0415], [0.0557, -0.2040, 1.0570]])
_LINEAR_SRGB_TO_XYZ = np.linalg.inv(_XYZ_TO_LINEAR_SRGB)
_WEIGHTS = _cmf(WAVELENGTHS_NM) * _illuminant(WAVELENGTHS_NM)  # (3, N)
_WHITE_XYZ = _WEIGHTS.sum(axis=1) / _WEIGHTS[1].sum()
_WHITE_RGB = _XYZ_TO_LINEAR_SRGB @ _WHITE_XYZ


def _baseline_mua(lam: np.ndarray) -> np.ndarray:
    return 0.244 + 85.3 * np.exp(-(lam - 154.0) / 66.2)


def _blood_mua(extinction: np.ndarray, saturation: float) -> np.ndarray:
    eps = saturation * extinction[..., 0] + (1.0 - saturation) * extinction[..., 1]
    return 2.303 * eps * _HB_G_PER_L / _HB_G_PER_MOL


def _dermis_optics(lam: np.ndarray, blood: float, saturation: float, ext: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mua = blood * _blood_mua(ext, saturation) + (1.0 - blood) * _baseline_mua(lam)
    musp = 2e5 * lam**-1.5 + 2e12 * lam**-4.0
    return mua, musp


def reflectance(
    melanin: float,
    blood: float,
    saturation: float = 0.75,
    wavelengths_nm: np.ndarray | None = None,
    backscatter: float = _SURFACE_BACKSCATTER,
) -> np.ndarray:
    """Diffuse skin reflectance (0..1) at ``wavelengths_nm`` (default 400..700 nm every 10 nm, or 850 nm);
    ``backscatter``: the stratum corneum's flat share (:data:`PALM_BACKSCATTER` for palms)."""
    lam = WAVELENGTHS_NM if wavelengths_nm is None else np.asarray(wavelengths_nm, dtype=np.float64)
    if wavelengths_nm is None:
        ext = _HB_EXTINCTION
    elif np.allclose(lam, 850.0):
        ext = np.broadcast_to(_HB_EXTINCTION_850, (*lam.shape, 2))
    else:
        raise ValueError("wavelengths_nm must be None (visible grid) or 850 nm")
    mua_epi = melanin * 6.6e11 * lam**-3.33 + (1.0 - melanin) * _baseline_mua(lam)
    mua, musp = _dermis_optics(lam, blood, saturation, ext)
    albedo = musp / (mua + musp)
    s = np.sqrt(3.0 * (1.0 - albedo))
    r_dermis = 0.5 * albedo * (1.0 + np.exp(-4.0 / 3.0 * _FARRELL_A * s)) * np.exp(-s)
    t_epi = np.exp(-mua_epi * _EPIDERMIS_CM)
    return backscatter + (1.0 - backscatter) * t_epi**2 * r_dermis


def spectrum_to_linear_srgb(spectrum: np.ndarray) -> np.ndarray:
    """Linear sRGB (white-balanced: a perfect reflector is 1, 1, 1) of a reflectance on the visible grid."""
    xyz = (_WEIGHTS * spectrum).sum(axis=1) / _WEIGHTS[1].sum()
    return np.clip((_XYZ_TO_LINEAR_SRGB @ xyz) / _WHITE_RGB, 0.0, 1.0)


def linear_srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """CIELAB (D65) of a linear sRGB colour."""
    t = (_LINEAR_SRGB_TO_XYZ @ (np.asarray(rgb, dtype=np.float64) * _WHITE_RGB)) / _WHITE_XYZ
    f = np.where(t > 0.008856, np.cbrt(t), 7.787 * t + 16.0 / 116.0)
    return np.array([116.0 * f[1] - 16.0, 500.0 * (f[0] - f[1]), 200.0 * (f[1] - f[2])])


def ita_degrees(rgb: np.ndarray) -> float:
    """Individual Typology Angle of a linear sRGB skin colour: atan2(L* - 50, b*) in degrees."""
    lightness, _, b = linear_srgb_to_lab(rgb)
    return float(np.degrees(np.arctan2(lightness - 50.0, b)))


def skin_albedo(
    melanin: float, blood: float, saturation: float = 0.75, backscatter: float = _SURFACE_BACKSCATTER
) -> np.ndarray:
    """Linear sRGB diffuse albedo of skin with these chromophore fractions."""
    return spectrum_to_linear_srgb(reflectance(melanin, blood, saturation, backscatter=backscatter))


def nir_albedo(
    melanin: float, blood: float, saturation: float = 0.75, backscatter: float = _SURFACE_BACKSCATTER
) -> float:
    """Diffuse skin reflectance at 850 nm (melanin and blood absorb little there: about 0.5-0.6)."""
    return float(reflectance(melanin, blood, saturation, np.array([850.0]), backscatter)[0])


def subsurface_radius_mm(blood: float, saturation: float = 0.75) -> np.ndarray:
    """Dermal diffusion depth ``1 / sqrt(3 mu_a (mu_a + mu_s'))`` in mm at 610 / 550 / 460 nm (R, G, B)."""
    idx = [int(np.argmin(np.abs(WAVELENGTHS_NM - w))) for w in (610.0, 550.0, 460.0)]
    lam = WAVELENGTHS_NM[idx]
    mua, musp = _dermis_optics(lam, blood, saturation, _HB_EXTINCTION[idx])
    return 10.0 / np.sqrt(3.0 * mua * (mua + musp))
