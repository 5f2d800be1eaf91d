from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "esoutien.core"
    label = "core"
