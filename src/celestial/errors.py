"""Errors a user can fix: every command reports them as one clear message, never a traceback."""


class UserError(Exception):
    """A mistake in the user's data, parameters or command line."""
