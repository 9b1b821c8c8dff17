"""The desk's conversation on a claim or a proposition: comments in time order, @mentions.

Comments are the desk's alone (fact-checkers, editors, admins: ``claims.view_comment``,
``claims.add_comment``); reporters have neither, so a review in progress cannot be read through
them, and nothing here reaches the API or the public page. A comment on a claim also enters the
claim's review trail, so the history says who discussed what, when.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils.text import Truncator

from claims.models import (
    COMMENT_MAX,
    Claim,
    Comment,
    Notification,
    Proposition,
    ReviewEvent,
)
from claims.notifications import notify, quoted
from claims.review.rules import Incomplete, NotAllowed

# A comment naming more people than this is a broadcast, not a mention: the rest stay text.
MENTIONS_MAX = 20
# The trail shows the start of the comment; the conversation shows it whole.
TRAIL_EXCERPT = 300
# "@name", not inside an address (a@b.org) or a word; Django usernames may hold . + - @ but
# a mention ends on a letter or digit, so "@fiona." at the end of a sentence is "fiona".
MENTION = re.compile(r"(?<![\w.+@-])@(\w(?:[\w.+-]*\w)?)")


def may_read_comments(user, *, claim: Claim | None = None,
                      proposition: Proposition | None = None) -> bool:
    if not (user.is_active and user.has_perm("claims.view_comment")):
        return False
    return user.has_perm("claims.view_claim" if claim is not None
                         else "claims.view_proposition")


def may_comment(user, *, claim: Claim | None = None,
                proposition: Proposition | None = None) -> bool:
    return may_read_comments(user, claim=claim, proposition=proposition) and user.has_perm(
        "claims.add_comment")


def mentioned_names(body: str) -> list[str]:
    """The @names in ``body``, in order, each once (case-insensitively)."""
    seen, names = set(), []
    for name in MENTION.findall(body):
        if name.casefold() not in seen:
            seen.add(name.casefold())
            names.append(name)
    return names


def _mentionable(names: list[str], *, claim, proposition) -> list:
    """The active desk members ``names`` stand for who may read this conversation; a name
    matches its user exactly, or case-insensitively when that is unambiguous."""
    names = names[:MENTIONS_MAX]
    if not names:
        return []
    query = Q()
    for name in names:
        query |= Q(username__iexact=name)
    candidates = list(get_user_model().objects.filter(query, is_active=True, is_staff=True))
    found = []
    for name in names:
        exact = [u for u in candidates if u.username == name]
        loose = [u for u in candidates if u.username.casefold() == name.casefold()]
        user = (exact or (loose if len(loose) == 1 else [None]))[0]
        if user is not None and user not in found and may_read_comments(
                user, claim=claim, proposition=proposition):
            found.append(user)
    return found


def _where(claim, proposition) -> str:
    if claim is not None:
        return f"the claim {quoted(claim.text)}"
    return f"the proposition {quoted(proposition.text)}"


@transaction.atomic
def comment_add(*, user, body: str, claim: Claim | None = None,
                proposition: Proposition | None = None) -> Comment:
    """Post ``body`` (plain text) by ``user`` on a claim or a proposition: its @mentions of
    colleagues who may read it are kept and told; on a claim it enters the review trail."""
    if (claim is None) == (proposition is None):
        raise ValueError("A comment is on a claim or on a proposition, exactly one.")
    if not may_comment(user, claim=claim, proposition=proposition):
        raise NotAllowed("You may not comment here (your role does not include the desk's "
                         "conversation).")
    # Browsers send a textarea's line breaks as CRLF: counted as one character, as typed.
    body = (body or "").replace("\r\n", "\n").strip()
    if not body:
        raise Incomplete("Write something before posting the comment.")
    if len(body) > COMMENT_MAX:
        raise Incomplete(f"The comment is too long ({len(body)} characters; at most "
                         f"{COMMENT_MAX}). Shorten it or split it in two.")
    comment = Comment.objects.create(claim=claim, proposition=proposition, author=user,
                                     body=body)
    mentioned = _mentionable(mentioned_names(body), claim=claim, proposition=proposition)
    if mentioned:
        comment.mentions.set(mentioned)
    if claim is not None:
        # No new version: a comment changes nothing of the review, so an editor with the claim
        # open saves the form without a conflict.
        ReviewEvent.objects.create(
            claim=claim, actor=user, action=ReviewEvent.Action.NOTE, from_status=claim.status,
            to_status=claim.status, note=Truncator(body).chars(TRAIL_EXCERPT),
            data={"comment": comment.pk})
    notify(recipients=mentioned, kind=Notification.Kind.MENTION, actor=user,
           claim=claim, proposition=proposition, comment=comment,
           text=f"{user} mentioned you on {_where(claim, proposition)}.")
    return comment


def comments_for(*, claim: Claim | None = None, proposition: Proposition | None = None):
    """The conversation, oldest first, with authors and mentions in three queries in all."""
    if (claim is None) == (proposition is None):
        raise ValueError("Comments of a claim or of a proposition, exactly one.")
    on = {"claim": claim} if claim is not None else {"proposition": proposition}
    return (Comment.objects.filter(**on).select_related("author")
            .prefetch_related("mentions").order_by("created_at", "id"))


@dataclass(frozen=True)
class Piece:
    text: str
    mention: bool = False


def comment_pieces(comment: Comment) -> list[Piece]:
    """``comment``'s body cut into text and the mentions that reached someone (shown
    highlighted); names that matched nobody stay plain text. Escaping is the template's."""
    names = {user.username.casefold() for user in comment.mentions.all()}
    pieces, position = [], 0
    for match in MENTION.finditer(comment.body):
        if match.group(1).casefold() not in names:
            continue
        if match.start() > position:
            pieces.append(Piece(comment.body[position:match.start()]))
        pieces.append(Piece(match.group(0), mention=True))
        position = match.end()
    if position < len(comment.body):
        pieces.append(Piece(comment.body[position:]))
    return pieces
