"""Everything that runs inside Blender: the only package that imports ``bpy``.

Modules here are imported only by render worker processes (``python -m blender_scenes.worker``), never by the
``synthgen`` library or the test process.
"""
