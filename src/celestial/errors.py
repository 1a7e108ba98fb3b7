"""Errors a user can fix: they are reported as one clear message, never as a traceback."""


class UserError(Exception):
    """A mistake in the user's data, parameters or command line."""


class ConfigError(UserError):
    """params.yaml is missing, unreadable or holds a value out of range."""


class DataError(UserError):
    """The image folder cannot be used as a dataset (too few classes or images)."""
