import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("claimtrack")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Each stage has its own queue. A worker reading several takes from them in turn (Redis), so
# a burst of one stage (matching a long article, a webhook backlog) does not hold back the
# others, and a sweep waits for a free process, not for the backlog; a worker started with
# -Q for one queue gives that stage processes of its own. Queue names derive from
# CELERY_TASK_DEFAULT_QUEUE (extraction uses it as it is).
STAGES = ("extract", "match", "webhooks", "sweeps", "fetch")
TASK_STAGES = {
    "claims.tasks.article_process_task": "extract",
    "claims.tasks.article_match_task": "match",
    "claims.tasks.claims_match_task": "match",
    "claims.tasks.deliver_webhook_task": "webhooks",
    # Desk mail is the same kind of work as a webhook: a message to another server, bounded
    # by a timeout and retried with backoff. Not the extraction (default) queue, where a
    # notice would wait behind long articles.
    "claims.tasks.notification_email_task": "webhooks",
    "claims.tasks.articles_sweep_task": "sweeps",
    "claims.tasks.webhooks_sweep_task": "sweeps",
    # Fetching waits on other sites: its own queue, so slow sites never hold back extraction.
    "claims.tasks.article_fetch_task": "fetch",
    "claims.tasks.feed_poll_task": "fetch",
    "claims.tasks.fetches_sweep_task": "sweeps",
    "claims.tasks.feeds_poll_due_task": "sweeps",
}


def queue_for(stage: str, base: str | None = None) -> str:
    base = base or app.conf.task_default_queue
    return base if stage == "extract" else f"{base}.{stage}"


def route_task(name, args, kwargs, options, task=None, **kw):
    """Celery router (CELERY_TASK_ROUTES): the queue of the task's stage."""
    stage = TASK_STAGES.get(name)
    return {"queue": queue_for(stage)} if stage else None
