"""All models, imported so that Alembic and the app see every table."""
from saas.models.audit import AuditEvent
from saas.models.user import User
from tenants.models import Tenant

__all__ = ["AuditEvent", "Tenant", "User"]
