"""The models, one module per concern.

The package imports nothing when it is imported: tenants.models builds on saas.models.base,
and the models here build on tenants.models, so a package __init__ importing every model
would run them all (and reach back into tenants.models half-built) whenever one module of
the package is imported. load_all() imports every model module, for the app factory, so that
the metadata, Alembic and the mappers know every table.
"""

from __future__ import annotations

import importlib
import pkgutil


def load_all() -> None:
    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")
