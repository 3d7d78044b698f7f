from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


def _sync_roles(sender, **kwargs) -> None:
    # post_migrate is sent once per app (by migrate, and by flush between transactional
    # tests). Only the last app's signal matters: by then every app's permissions exist.
    # Syncing on each of the ~15 signals cost ~100 queries apiece for the same end state.
    with_models = [config for config in apps.get_app_configs() if config.models_module]
    if with_models and sender is not with_models[-1]:
        return
    from clinic.staff.roles import sync_roles

    sync_roles(strict=False)


class ClinicConfig(AppConfig):
    name = "clinic"
    verbose_name = "Clinic"

    def ready(self) -> None:
        # Runs after the last app's post_migrate handlers have created every permission
        # (the handler skips the signals of the apps before it).
        post_migrate.connect(_sync_roles, dispatch_uid="clinic.sync_roles")
        from clinic.audit import register_audited_models

        register_audited_models()
