"""A refused action with a stable code and a message for the person who tried it."""
from __future__ import annotations

from typing import Any, ClassVar


class ServiceError(ValueError):
    """Subclasses set MESSAGES: code → lazy-translated text with %(name)s parameters."""

    MESSAGES: ClassVar[dict] = {}

    def __init__(self, code: str, **params: Any):
        super().__init__(code)
        self.code = code
        self.params = params

    @property
    def message(self) -> str:
        template = self.MESSAGES.get(self.code)
        if template is None:
            return self.code
        return str(template) % self.params if self.params else str(template)
