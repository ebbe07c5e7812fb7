"""Small helpers shared by the Flask-WTF forms."""
from __future__ import annotations

from wtforms.fields.choices import SelectChoice


def choices(pairs) -> list[SelectChoice]:
    """SelectField choices from (value, label) pairs, in WTForms 3.3's own type."""
    return [SelectChoice(value, label) for value, label in pairs]
