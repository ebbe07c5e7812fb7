"""All models, imported so that Alembic and the app see every table."""
from saas.models.audit import AuditEvent
from saas.models.user import User
from tenants.models import PolicyVersion, Tenant

__all__ = ["AuditEvent", "PolicyVersion", "Tenant", "User"]
