"""Transform names a config may use, and building one transform from ``{name, params}`` with clear errors.

Parameters are validated by constructing the albumentations transform with ``strict=True``: its pydantic
``InitSchema`` checks values, and strict mode turns unknown keyword arguments into errors (albumentations
2.0.8 otherwise only warns and, for some schema failures, silently falls back to defaults). Names are first
checked against the constructor signature so the message can name the offending parameter.
"""

from __future__ import annotations

import difflib
import inspect
import logging
import warnings
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

import albumentations as A
import cv2
from albumentations.core.composition import BaseCompose
from albumentations.core.transforms_interface import BasicTransform, Transform3D
from pydantic import ValidationError

from synthgen.augment.sensor import Exposure, SensorNoise, Vignetting
from synthgen.augment.spec import TransformSpec

logger = logging.getLogger(__name__)

# Transforms that need inputs this pipeline never passes (boxes, reference images, metadata, callables) or
# that change the dtype/range of the image.
_EXCLUDED = frozenset(
    {
        "AtLeastOneBBoxRandomCrop",
        "BBoxSafeRandomCrop",
        "FDA",
        "FromFloat",
        "HistogramMatching",
        "Lambda",
        "Mosaic",
        "Normalize",
        "OverlayElements",
        "PixelDistributionAdaptation",
        "RandomCropNearBBox",
        "RandomSizedBBoxSafeCrop",
        "TextImage",
        "ToFloat",
    }
)
_CUSTOM: dict[str, type[BasicTransform]] = {cls.__name__: cls for cls in (Exposure, SensorNoise, Vignetting)}
_COMPOSITES = {"OneOf": A.OneOf}

# Allowed, but the labels may no longer describe the image: logged when a config uses them.
_LABEL_WARNINGS = {
    **dict.fromkeys(
        ("HorizontalFlip", "VerticalFlip", "Transpose", "RandomRotate90", "D4", "SquareSymmetry"),
        "mirrors or rotates the image: a hand's handedness and left/right keypoint meaning are not swapped",
    ),
    **dict.fromkeys(
        ("CoarseDropout", "GridDropout", "Erasing", "XYMasking", "PixelDropout", "ConstrainedCoarseDropout"),
        "occludes content: keypoints under a hole stay flagged visible",
    ),
}


class TransformConfigError(ValueError):
    """A transform spec that cannot be built; the message names the spec's path, transform and parameter."""


@cache
def transform_classes() -> dict[str, type[BasicTransform]]:
    """Every 2D pixel-level or spatial transform by class name: albumentations' own plus synthgen's."""
    found: dict[str, type[BasicTransform]] = {}
    for name, obj in vars(A).items():
        if (
            inspect.isclass(obj)
            and issubclass(obj, (A.ImageOnlyTransform, A.DualTransform))
            and not issubclass(obj, Transform3D)
            and obj not in (A.ImageOnlyTransform, A.DualTransform)
            and name not in _EXCLUDED
        ):
            found[name] = obj
    found.update(_CUSTOM)
    return found


def iter_leaves(transform: BasicTransform | BaseCompose) -> Iterator[BasicTransform]:
    """The transforms themselves, inside any composite."""
    if isinstance(transform, BaseCompose):
        for child in transform.transforms:
            yield from iter_leaves(child)
    else:
        yield transform


def build_transform(spec: TransformSpec | Mapping[str, Any], where: str) -> BasicTransform | BaseCompose:
    """A configured transform; ``where`` (e.g. ``augment.transforms[2]``) prefixes every error message."""
    spec = _as_spec(spec, where)
    if spec.name in _COMPOSITES:
        return _build_composite(spec, where)
    classes = transform_classes()
    cls = classes.get(spec.name)
    if cls is None:
        close = difflib.get_close_matches(spec.name, [*classes, *_COMPOSITES], n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise TransformConfigError(f"{where}: unknown transform '{spec.name}'{hint}")
    where = f"{where} ({spec.name})"
    allowed = [n for n in inspect.signature(cls.__init__).parameters if n not in ("self", "args", "kwargs")]
    for key in spec.params:
        if key not in allowed:
            raise TransformConfigError(f"{where}: unknown parameter '{key}' (valid: {', '.join(sorted(allowed))})")
    transform = _construct(cls, spec.params, where)
    if isinstance(transform, A.DualTransform) and "keypoints" not in transform.available_keys:
        raise TransformConfigError(f"{where}: moves pixels but cannot move keypoints, so labels would drift")
    _check_label_safety(transform, where)
    if spec.name in _LABEL_WARNINGS:
        logger.warning("%s: %s", where, _LABEL_WARNINGS[spec.name])
    return transform


def _as_spec(spec: TransformSpec | Mapping[str, Any], where: str) -> TransformSpec:
    if isinstance(spec, TransformSpec):
        return spec
    try:
        return TransformSpec.model_validate(spec)
    except ValidationError as exc:
        raise TransformConfigError(f"{where}: expected {{name, params}}, got {spec!r}") from exc


def _build_composite(spec: TransformSpec, where: str) -> BaseCompose:
    params = dict(spec.params)
    children = params.pop("transforms", None)
    unknown = set(params) - {"p"}
    if unknown:
        raise TransformConfigError(
            f"{where} ({spec.name}): unknown parameter '{sorted(unknown)[0]}' (valid: p, transforms)"
        )
    if not isinstance(children, list) or not children:
        raise TransformConfigError(f"{where} ({spec.name}): 'transforms' must be a non-empty list of specs")
    built = [build_transform(child, f"{where}.transforms[{i}]") for i, child in enumerate(children)]
    p = params.get("p", 0.5)
    if not isinstance(p, (int, float)) or not 0.0 <= p <= 1.0:
        raise TransformConfigError(f"{where} ({spec.name}): invalid parameter 'p': must be in [0, 1], got {p!r}")
    return _COMPOSITES[spec.name](built, p=float(p))


def _construct(cls: type[BasicTransform], params: Mapping[str, Any], where: str) -> BasicTransform:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            transform = cls(**params, strict=True)
        except ValueError as exc:
            raise TransformConfigError(f"{where}: {_describe(exc)}") from exc
        except TypeError as exc:
            raise TransformConfigError(f"{where}: {exc}") from exc
    for warning in caught:  # e.g. deprecation notices; worth seeing, not worth failing
        logger.warning("%s: %s", where, warning.message)
    return transform


def _describe(exc: ValueError) -> str:
    """Name the parameter from the pydantic error that albumentations wraps in a plain ValueError."""
    cause = exc.__cause__
    if not isinstance(cause, ValidationError):
        return str(exc)
    parts = []
    for error in cause.errors():
        loc = ".".join(str(part) for part in error["loc"])
        parts.append(f"invalid parameter '{loc}': {error['msg']}" if loc else f"invalid parameters: {error['msg']}")
    return "; ".join(parts)


def _check_label_safety(transform: BasicTransform, where: str) -> None:
    """Borders must be constant zero: reflected borders copy instances (and ids) without their keypoints."""
    border_mode = getattr(transform, "border_mode", cv2.BORDER_CONSTANT)
    if border_mode != cv2.BORDER_CONSTANT:
        raise TransformConfigError(
            f"{where}: invalid parameter 'border_mode': must be cv2.BORDER_CONSTANT (0), got {border_mode}; "
            "other modes copy objects into the border without their labels"
        )
    fill_mask = getattr(transform, "fill_mask", 0)
    if fill_mask not in (0, None) and fill_mask != (0,):
        raise TransformConfigError(
            f"{where}: invalid parameter 'fill_mask': must be 0 (background id / no depth), got {fill_mask}"
        )
