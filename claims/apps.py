from django.apps import AppConfig
from django.core import signals
from django.db.models.signals import post_migrate


def _roles_after_migrate(sender, app_config=None, using="default", **kwargs):
    # After auth has created the permissions of every model (its receiver runs first).
    if app_config is not None and app_config.label == "claims":
        from claims.roles import roles_ensure

        roles_ensure()


class ClaimsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "claims"
    verbose_name = "Claims"

    def ready(self):
        post_migrate.connect(_roles_after_migrate, sender=self,
                             dispatch_uid="claims.roles_after_migrate")
        from claims import enqueue

        signals.request_started.connect(enqueue.request_started,
                                        dispatch_uid="claims.enqueue.request_started")
        signals.request_finished.connect(enqueue.request_finished,
                                         dispatch_uid="claims.enqueue.request_finished")
        from claims import metrics

        metrics.connect_signals()  # task outcomes and durations, in workers and in process
