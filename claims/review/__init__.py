"""The review workflow: guarded transitions of a claim, its evidence and its verdicts.

Every change goes through one service of this package, which checks the state, the user's permission
and the version the user saw (optimistic locking), applies the change under a row lock and
writes the review trail. The admin, the API and tests call these; nothing else sets
``Claim.status``.

    new ──take──▶ in review ──submit──▶ awaiting approval ──publish──▶ published ─┐
     │              ▲   │                      │                                │ correct
     │              └───┼────── send back ─────┘                                ◀─┘
     └──── dismiss ─────┴──────────────────────┘──▶ dismissed ──reopen──▶ new

A correction of a published claim is proposed by one editor and approved (or discarded) by
another; the claim stays published throughout, its verdict unchanged until the approval.

Modules: ``rules`` (errors, transitions and their guards, the lock, version check and trail
write), ``transitions`` (one service per step), ``edits`` (the desk's corrections of a
claim's statement, claimant and kind), ``evidence``, ``suggestions`` (rating a
proposition), ``page`` (the claim page's buttons, one service per press).
"""

from claims.review.edits import STATEMENT_MAX, UNCHANGED, claim_edit, may_edit
from claims.review.evidence import evidence_add, evidence_remove
from claims.review.page import DONE, PageInput, claim_page_submit
from claims.review.rules import (
    NOTE_MAX,
    TRANSITIONS,
    Conflict,
    Incomplete,
    NotAllowed,
    ReviewError,
    Transition,
    WrongState,
    available_transitions,
    fact_checkers,
)
from claims.review.suggestions import (
    VerdictSuggestion,
    proposition_verdict_suggestions,
    suggestion_accept,
)
from claims.review.transitions import (
    claim_assign,
    claim_correct,
    claim_correction_approve,
    claim_correction_discard,
    claim_dismiss,
    claim_draft,
    claim_flag,
    claim_publish,
    claim_reopen,
    claim_send_back,
    claim_submit,
    claim_take,
)

__all__ = [
    "DONE", "NOTE_MAX", "STATEMENT_MAX", "UNCHANGED", "claim_edit", "may_edit", "TRANSITIONS", "Conflict", "Incomplete", "NotAllowed", "PageInput",
    "ReviewError", "Transition", "VerdictSuggestion", "WrongState", "available_transitions",
    "claim_assign", "claim_correct", "claim_correction_approve", "claim_correction_discard",
    "claim_dismiss", "claim_draft", "claim_flag", "claim_page_submit", "claim_publish",
    "claim_reopen", "claim_send_back", "claim_submit", "claim_take", "evidence_add",
    "evidence_remove", "fact_checkers", "proposition_verdict_suggestions",
    "suggestion_accept",
]
