"""``synthgen bench``: render overhead, a naive one-process-per-render baseline, augmentation, loading and
worker memory, measured in one run (see ``synthgen.bench.suite``)."""
