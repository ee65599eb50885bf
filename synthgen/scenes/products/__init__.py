"""Procedural retail products: SKU identities, artwork, meshes, defects, layouts and labels (pure, no bpy)."""
