"""The Django admin: partnerships and agencies, policies, and the audit trail, each scoped to the admin's own
partnership. Django's autodiscovery imports this package; each module registers its own pages.
"""

from escalation.admin import audit, partnerships, policies

__all__ = ["audit", "partnerships", "policies"]
