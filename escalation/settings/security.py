"""Sign-in hardening, two-factor authentication and the Content Security Policy.

Imported at the end of base.py, so every environment gets the same protection; production.py adds the
HTTPS-only settings (HSTS, secure cookies) on top.
"""

import datetime
import os

from csp.constants import NONE, SELF

# Lockout after repeated failed sign-ins (django-axes). Counted per username (guessing one person's
# password from many addresses) and per address (trying one password on many usernames); a successful
# sign-in clears the count, so colleagues behind one office address do not lock each other out, and
# the cool-off keeps a deliberate lockout short.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = datetime.timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
# Failures count against the username (from any address) and the username at one address. Never the address
# alone: a school or trust behind one address would be locked out by five invented usernames, and one person's
# good sign-in from that address would wipe the failures counted against everyone else there.
AXES_LOCKOUT_PARAMETERS = ["username", ["username", "ip_address"]]
# An address alone is locked only at a much higher count, whatever usernames were tried (a password sprayed over
# many accounts): escalation/accounts/lockout.py, which counts axes' own failure records for the address.
SIGN_IN_ADDRESS_FAILURE_LIMIT = int(os.environ.get("SIGN_IN_ADDRESS_FAILURE_LIMIT", "100"))
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "escalation.accounts.views.locked_out"
AXES_USERNAME_CALLABLE = "escalation.accounts.backends.lockout_username"
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False
# The client's address as the audit trail reads it: X-Forwarded-For only from the TRUSTED_PROXIES.
AXES_CLIENT_IP_CALLABLE = "escalation.observability.proxies.client_address"
# Lockout log lines name no username or address (a username can be a person's name or e-mail address).
AXES_CLIENT_STR_CALLABLE = "escalation.observability.logs.lockout_client_str"

# Two-factor authentication (django-otp, TOTP).
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "Safeguarding escalations")
OTP_LOGIN_URL = "two-factor-verify"

# Content Security Policy (django-csp 4): no inline scripts or styles anywhere in the app.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [SELF],
    },
}
