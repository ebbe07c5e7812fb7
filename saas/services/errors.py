"""A refused action with a stable code and a message for the person who tried it: the one family.

Every service refuses by raising a subclass (CaseError, AccountError, ComplaintError, …): never by
returning None/False or a tuple, a bare ValueError, or abort(). A subclass sets MESSAGES, code → lazily
translated text with %(name)s parameters, so `.message` is in the language of whoever reads it.

The web side shows a refusal in one of two ways (saas/blueprints/core.py): a view that knows where to
send the person back calls `refused(exc)` (rollback + flash), and anything a view does not catch is
answered by the app-wide handler: the transaction rolled back, a 400 page (or JSON under /api/) with
the message.
"""

from __future__ import annotations

from typing import Any, ClassVar


class ServiceError(ValueError):
    """Subclasses set MESSAGES: code → lazy-translated text with %(name)s parameters.

    `field` names the form field the refusal is about, when there is one (given, or FIELDS[code]).
    """

    MESSAGES: ClassVar[dict] = {}
    FIELDS: ClassVar[dict] = {}
    status: ClassVar[int] = 400

    def __init__(self, code: str, *, field: str | None = None, **params: Any):
        super().__init__(code)
        self.code = code
        self.params = params
        self._field = field

    @property
    def field(self) -> str | None:
        return self._field or self.FIELDS.get(self.code)

    @property
    def message(self) -> str:
        template = self.MESSAGES.get(self.code)
        if template is None:
            return self.code
        return str(template) % self.params if self.params else str(template)

    def __str__(self) -> str:
        return self.code
