"""Third-party assets (meshes, rigs, textures) fetched and cached on demand."""
