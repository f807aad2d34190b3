"""Every model module, imported so that Base.metadata (migrations, tests) sees all tables."""

# households, news, announcements; dossiers, căn cước results, lookup audit
from storage import broadcast_models, records  # noqa: F401
from storage.models import Base

__all__ = ["Base"]
