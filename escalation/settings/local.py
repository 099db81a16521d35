"""The embedded default: SQLite, console e-mail, deadlines swept in-process."""

from .base import *  # noqa: F401,F403
