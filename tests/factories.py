from __future__ import annotations

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from claims.ingestion import content_hash
from claims.models import Article, Claim, Claimant, ReviewEvent, Source


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("correct horse battery staple")


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source

    name = factory.Sequence(lambda n: f"Outlet {n}")
    domain = factory.Sequence(lambda n: f"outlet{n}.example")


class ArticleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Article

    source = factory.SubFactory(SourceFactory)
    url = factory.Sequence(lambda n: f"https://news.example/story/{n}")
    title = factory.Sequence(lambda n: f"Story number {n}")
    published_at = factory.LazyFunction(timezone.now)
    text = factory.Sequence(
        lambda n: f"Officials said on Monday that talks number {n} lasted eight hours. "
        "The minister denied any plans to raise taxes."
    )
    content_hash = factory.LazyAttribute(lambda o: content_hash(o.text))
    state = Article.State.DONE


class ClaimantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Claimant

    name = factory.Sequence(lambda n: f"Speaker {n}")
    key = factory.LazyAttribute(lambda o: o.name.casefold())
    kind = Claimant.Kind.PERSON


class ClaimFactory(factory.django.DjangoModelFactory):
    """A claim over the first sentence of its article."""

    class Meta:
        model = Claim

    article = factory.SubFactory(ArticleFactory)
    claimant = factory.SubFactory(ClaimantFactory)
    start = 0
    end = factory.LazyAttribute(lambda o: o.article.text.index(".") + 1)
    sentence_start = 0
    sentence_end = factory.LazyAttribute(lambda o: o.end)
    text = factory.LazyAttribute(lambda o: o.article.text[o.start:o.end])
    cue = "said"
    kind = Claim.Kind.ASSERTION
    extractor_version = "test"


class ReviewEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReviewEvent

    claim = factory.SubFactory(ClaimFactory)
    action = ReviewEvent.Action.NOTE
    note = "looked at it"


def desk_user(username: str, role: str | None = None, **fields):
    """A staff user in one of the desk's role groups (none: staff without a role), read back
    so its permission cache reflects the group."""
    from claims.roles import roles_ensure

    user = UserFactory(username=username, is_staff=True, **fields)
    if role:
        user.groups.add(roles_ensure()[role])
    return type(user).objects.get(pk=user.pk)


def publish_claim(claim, *, checker, editor, verdict: str = "false"):
    """Drive a claim through the review services to published: taken and researched by
    ``checker`` (one refuting source), approved by ``editor``."""
    from claims import review

    review.claim_take(claim=claim, user=checker)
    review.evidence_add(claim=claim, user=checker, url="https://records.example.org/log",
                        note="The daily log", stance="refutes")
    review.claim_submit(claim=claim, user=checker, verdict=verdict,
                        rationale="The port's log shows 31 ships.")
    return review.claim_publish(claim=claim, user=editor)
