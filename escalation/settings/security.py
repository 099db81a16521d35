"""Sign-in hardening, two-factor authentication and the Content Security Policy."""
