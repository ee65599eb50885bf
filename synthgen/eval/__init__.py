"""``synthgen eval DIR --task ...``: small baselines trained on a dataset's train split, measured on held-out
identities with the figures palm-biometrics and retail-vision buyers use (see docs/evaluation.md)."""
