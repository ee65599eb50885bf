"""The export formats and options, as plain names (the command line registers them without importing readers)."""

FORMATS = ("coco", "yolo", "bop", "webdataset")
YOLO_TASKS = ("detect", "segment", "pose")
IMAGE_FORMATS = ("png", "jpg")
PRODUCT_LABELS = ("class", "sku")
