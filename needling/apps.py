from django.apps import AppConfig


class NeedlingConfig(AppConfig):
    name = "needling"
    verbose_name = "Dry needling"
