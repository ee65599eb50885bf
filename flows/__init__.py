"""Prefect flows: ``generate_dataset`` (flows/generate.py) renders a dataset with one task per shard.

The flows call the same pipeline code as the command line (``synthgen.pipeline.job``); deployments are declared in
``prefect.yaml`` at the repository root. See docs/orchestration.md.
"""
