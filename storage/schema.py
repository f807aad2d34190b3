"""Every model module, imported so that Base.metadata (migrations, tests) sees all tables."""

from storage.models import Base

__all__ = ["Base"]
