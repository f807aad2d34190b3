"""Every model module, imported so that Base.metadata (migrations, tests) sees all tables."""

# households, news, announcements; dossiers, căn cước results, lookup audit
from storage.broadcasts import models as broadcast_models  # noqa: F401
from storage.console import handoff_models  # noqa: F401
from storage.console import models as console_models  # noqa: F401
from storage.lookups import drafts as import_drafts  # noqa: F401
from storage.lookups import models as lookup_models  # noqa: F401
from storage.models import Base

__all__ = ["Base"]
