"""Errors that reach users: each has a stable code and a message that says what to do."""

from __future__ import annotations


class IngestError(ValueError):
    code = "invalid"

    def __init__(self, message: str, *, existing_id: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.existing_id = existing_id


class EmptyArticle(IngestError):
    code = "empty"


class ArticleTooLarge(IngestError):
    code = "too_large"


class NotUTF8(IngestError):
    code = "not_utf8"


class DuplicateArticle(IngestError):
    code = "duplicate"


class InvalidArticle(IngestError):
    code = "invalid"


class InvalidFactCheck(IngestError):
    code = "invalid_factcheck"
