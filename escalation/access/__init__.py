"""Who, outside the two agencies, a dispute's policy brings in: partnership office holders and their access.

Sits below notifications (which tells office holders and so lets them in) and above audit (every grant and every
change of office holder is audited), so that both the access rule in `escalation.disputes.selectors` and the
outbox in `escalation.notifications.outbox` can use it.
"""
