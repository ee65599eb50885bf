"""The label vocabulary of an export: one list of classes per dataset, the same for every split and format.

Classes follow the dataset's scene type (from its manifest config), so train, val and test files agree on
every id whichever rows they hold. COCO ids start at 1 (0 is never a category); YOLO class indices are the
same list from 0.

- tabletop: the object shapes; hands: ``hand``, the presentation-attack instruments and ``occluder`` (an object
  an environment puts between the camera and the hand);
- products: the product families (or one class per SKU with ``product_labels="sku"``), plus ``hand`` when
  the config renders hand-held products; defects are a second list (``defect_categories``), used by COCO;
- mix: its parts' classes in part order, each once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from synthgen.errors import UsageError
from synthgen.scenes.hands.accessories import ACCESSORY_TYPES
from synthgen.scenes.hands.attacks.registry import ATTACK_TYPES
from synthgen.scenes.hands.environment import OCCLUDER_CLASS
from synthgen.scenes.products.defects import DEFECT_TYPES
from synthgen.scenes.products.identity import FAMILIES as PRODUCT_FAMILIES
from synthgen.scenes.tabletop.sampler import SHAPE_SIZES

# Every list comes from the scene code that draws it, so a new shape, attack type or family is a new class here.
TABLETOP_CLASSES = tuple(SHAPE_SIZES)
HAND_CLASSES = ("hand", *(attack.instance_class for attack in ATTACK_TYPES.values()), *ACCESSORY_TYPES)
_HAND_SUPERCATEGORIES = ("hand",) + ("attack",) * len(ATTACK_TYPES) + ("accessory",) * len(ACCESSORY_TYPES)
__all__ = ["DEFECT_TYPES", "HAND_CLASSES", "PRODUCT_FAMILIES", "TABLETOP_CLASSES"]
ProductLabels = Literal["class", "sku"]


def sku_class(sku_id: int) -> str:
    return f"sku_{sku_id:04d}"


@dataclass(frozen=True)
class Vocabulary:
    """The instance classes of a dataset, in id order, and how product instances are named."""

    scene_type: str
    classes: tuple[str, ...]
    supercategories: tuple[str, ...]
    product_labels: ProductLabels = "class"

    @property
    def has_products(self) -> bool:
        return "product" in self.supercategories

    def class_of(self, instance: dict[str, Any]) -> str:
        """The class name an instance is exported under (its SKU's class with ``product_labels="sku"``)."""
        if self.product_labels == "sku" and instance.get("sku_id") is not None:
            return sku_class(int(instance["sku_id"]))
        return str(instance["class"])

    def index(self, instance: dict[str, Any]) -> int:
        """0-based class index (YOLO); COCO's category id is this + 1."""
        name = self.class_of(instance)
        try:
            return self.classes.index(name)
        except ValueError:
            raise UsageError(f"instances.class: {name!r} is not a class of a {self.scene_type} dataset") from None

    def coco_categories(self) -> list[dict[str, Any]]:
        return [
            {"id": i + 1, "name": name, "supercategory": sup}
            for i, (name, sup) in enumerate(zip(self.classes, self.supercategories, strict=True))
        ]


def vocabulary(
    scene_type: str, config: dict[str, Any] | None = None, product_labels: ProductLabels = "class"
) -> Vocabulary:
    """The vocabulary of a ``scene_type`` dataset; ``config`` (the manifest's) narrows it where it can."""
    scene = (config or {}).get("scene", {})
    if scene_type == "tabletop":
        return Vocabulary(scene_type, TABLETOP_CLASSES, ("object",) * len(TABLETOP_CLASSES))
    if scene_type == "hands":
        return Vocabulary(scene_type, (*HAND_CLASSES, OCCLUDER_CLASS), (*_HAND_SUPERCATEGORIES, "occluder"))
    if scene_type == "mix":
        return _mix_vocabulary(config, product_labels)
    if scene_type == "products":
        holds_hands = config is None or float(scene.get("layouts", {}).get("hand", 0.0)) > 0
        if product_labels == "sku":
            if "skus" not in scene:
                raise UsageError("product_labels: 'sku' needs the dataset's config (scene.skus) to number the SKUs")
            models = len((config or {}).get("assets", {}).get("models", []))  # the user's, after the catalogue
            products: tuple[str, ...] = tuple(sku_class(i) for i in range(int(scene["skus"]) + models))
        else:  # the procedural families, then the user's model classes (synthgen.assets)
            own = [m["class_name"] for m in (config or {}).get("assets", {}).get("models", [])]
            products = PRODUCT_FAMILIES + tuple(dict.fromkeys(c for c in own if c not in PRODUCT_FAMILIES))
        hands = ("hand",) if holds_hands else ()
        return Vocabulary(
            scene_type, hands + products, ("hand",) * len(hands) + ("product",) * len(products), product_labels
        )
    raise UsageError(f"scene.type: {scene_type!r} is not a scene type synthgen exports")


def _mix_vocabulary(config: dict[str, Any] | None, product_labels: ProductLabels) -> Vocabulary:
    """Every part's classes, in part order, each once (the manifest's config names the parts)."""
    from synthgen.config import JobConfig, part_configs  # the config module is heavy: only a mix needs it

    if config is None:
        raise UsageError("scene.type: a 'mix' dataset's classes come from its config (the manifest's)")
    classes: dict[str, str] = {}
    for part in part_configs(JobConfig.model_validate(config)).values():
        part_config = part.model_dump(mode="json")
        vocab = vocabulary(part.scene.type, part_config, product_labels)
        for name, supercategory in zip(vocab.classes, vocab.supercategories, strict=True):
            classes.setdefault(name, supercategory)
    return Vocabulary("mix", tuple(classes), tuple(classes.values()), product_labels)


def dataset_vocabulary(manifest: dict[str, Any], product_labels: ProductLabels = "class") -> Vocabulary:
    config = manifest.get("config", {})
    return vocabulary(config.get("scene", {}).get("type", "tabletop"), config, product_labels)


def defect_categories(first_id: int) -> list[dict[str, Any]]:
    """COCO categories of the product defects (their own supercategory), numbered from ``first_id``."""
    return [{"id": first_id + i, "name": name, "supercategory": "defect"} for i, name in enumerate(DEFECT_TYPES)]
