"""The migrations build exactly the schema the models describe, on both engines."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from storage.engine import create_engine
from storage.migrate import current_revision, head_revision
from storage.schema import Base


async def test_migrated_schema_matches_models(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        assert await current_revision(engine) == head_revision()
        async with engine.connect() as conn:
            diff = await conn.run_sync(lambda c: compare_metadata(MigrationContext.configure(c), Base.metadata))
        assert diff == [], f"models and migrations disagree: {diff}"
    finally:
        await engine.dispose()
