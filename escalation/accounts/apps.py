from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "escalation.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from escalation.accounts import signals  # noqa: F401
