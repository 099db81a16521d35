from django.apps import AppConfig


class EscalationConfig(AppConfig):
    name = "escalation"
    verbose_name = "Disputes"

    def ready(self) -> None:
        from escalation.disputes import signals  # noqa: F401 - registers the closure-day receivers
