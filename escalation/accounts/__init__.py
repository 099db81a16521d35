"""Signing in and out, two-factor authentication and the user's own account page."""
