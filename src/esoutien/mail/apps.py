from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailConfig(AppConfig):
    name = "esoutien.mail"
    label = "mail"
    verbose_name = _("E-mail")

    def ready(self) -> None:
        from esoutien.mail import tasks  # noqa: F401  (registers the Huey tasks)
