"""All models, imported so that Alembic and the app see every table."""
from saas.models.audit import AuditEvent
from saas.models.case import Case, CaseEvent, CaseLine, Evidence
from saas.models.complaint import AdvanceCompensation, PlatformComplaint
from saas.models.order import Order, OrderLine
from saas.models.recall import Recall, RecallContact
from saas.models.sla import SlaClock
from saas.models.supervision import FindingResponse, Sample, SampleCase, SupervisorAccess, SupervisorGrant
from saas.models.user import User
from tenants.models import PolicyVersion, Tenant

__all__ = ["AdvanceCompensation", "AuditEvent", "Case", "CaseEvent", "CaseLine", "Evidence", "Order", "OrderLine", "PlatformComplaint", "PolicyVersion", "Recall", "RecallContact", "SlaClock", "Tenant", "User",
           "FindingResponse", "Sample", "SampleCase", "SupervisorAccess", "SupervisorGrant"]
