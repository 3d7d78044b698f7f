from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_roles(sender, **kwargs) -> None:
    from clinic.roles import sync_roles

    sync_roles(strict=False)


class ClinicConfig(AppConfig):
    name = "clinic"
    verbose_name = "Clinic"

    def ready(self) -> None:
        # Runs after the last app's post_migrate handlers have created every permission:
        # connected with a sender so it fires once per migrate, for this app.
        post_migrate.connect(_sync_roles, dispatch_uid="clinic.sync_roles")
        from clinic.audit import register_audited_models

        register_audited_models()
