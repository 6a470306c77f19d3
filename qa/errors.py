"""Typed exceptions of the library.

Every error a user can cause or meet carries a one-line, actionable message in ``str(exc)``.
Front ends (CLI, app, HTTP) catch ``QAError`` and show that line; nothing else is shown.
"""
from __future__ import annotations


class QAError(Exception):
    """Base class: ``str(exc)`` is a single line saying what went wrong and what to do."""


class IndexMissing(QAError):
    """No index at the given directory."""


class IndexMismatch(QAError):
    """The index was built by another format version or model, or is damaged."""


class UnreadableDocument(QAError):
    """A corpus file could not be turned into text; the rest of the corpus is still indexed."""

    def __init__(self, path: str, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class BadQuery(QAError):
    """A question, filter or option that cannot be used as given."""


class CorpusMissing(QAError):
    """The corpus directory does not exist or holds no documents."""


class IndexBusy(QAError):
    """Another build holds the index folder's lock for longer than the wait allowed."""


class IndexWriteError(QAError):
    """The index folder cannot be written (full disk, read-only folder, no permission)."""
class LanguageModelFault(QAError):
    """A language model configured for written answers (issue 19) gave no usable reply. The extractive
    answer is shown instead, with ``str(exc)`` as its note: what happened and which setting to check (the
    URL, the model or the key, never the key itself)."""


class ReplyFault(LanguageModelFault):
    """The reply arrived but cannot be used as a whole: ``kind`` is empty, language, citation (``detail``
    names the marker), uncited or not_known (the model said the papers do not say)."""

    def __init__(self, kind: str, detail: str = ""):
        self.kind = kind
        self.detail = detail
        super().__init__(f"{kind}{': ' + detail if detail else ''}")
