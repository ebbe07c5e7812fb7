"""Filling an object's collections with one plain query each.

For a single parent, `selectinload` costs several times a plain SELECT here
(its IN-list statement is rebuilt with the tenant guard's criteria on every
load); pages that show one case and its children use this instead.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.orm.attributes import set_committed_value

from saas.extensions import db


def load_collections(parent, *collections: InstrumentedAttribute) -> None:
    """Load each one-to-many collection of `parent` (e.g. Case.events) as if it had been loaded lazily."""
    for attr in collections:
        prop = attr.property
        ((local, remote),) = prop.local_remote_pairs
        stmt = select(prop.mapper.class_).where(remote == getattr(parent, local.key))
        if prop.order_by:
            stmt = stmt.order_by(*prop.order_by)
        set_committed_value(parent, attr.key, list(db.session.scalars(stmt)))
