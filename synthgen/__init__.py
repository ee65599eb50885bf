"""synthgen: synthetic training data for vision, rendered with Blender and sharded to Parquet.

This package never imports ``bpy``: Blender runs only in render worker processes (``blender_scenes``).
"""

__version__ = "0.1.0"
