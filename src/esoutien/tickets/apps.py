from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "esoutien.tickets"
    label = "tickets"
    verbose_name = _("Tickets")

    def ready(self) -> None:
        from esoutien.tickets import tasks  # noqa: F401  (registers the Huey tasks)
