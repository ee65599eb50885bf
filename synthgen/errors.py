"""Exceptions that the command line turns into one-line messages and exit codes."""


class SynthgenError(Exception):
    """Base class for errors synthgen reports to users."""

    exit_code = 1


class UsageError(SynthgenError):
    """Bad input (config, flags, paths): reported before any work starts, exit code 2."""

    exit_code = 2


class RenderFailed(SynthgenError):
    """A render batch failed on every retry."""


class DatasetInvalid(SynthgenError):
    """A dataset folder does not match its manifest."""


class StorageError(SynthgenError):
    """The output cannot be written (disk full, read-only, gone): finished shards are kept, a rerun resumes."""
