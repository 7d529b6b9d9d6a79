"""A page of notifications after a cursor is an index range scan from the cursor's key,
not a scan of the user's notifications from the newest (deep pages cost as little as
the first)."""

import uuid
from datetime import UTC, datetime

from tickets.bootstrap import Runtime
from tickets.infrastructure.notification_store import PAGE_AFTER


async def test_a_later_page_starts_at_the_cursor_in_the_index(runtime: Runtime) -> None:
    async with runtime.pools.write.acquire() as db, db.transaction():
        await db.execute("SET LOCAL enable_seqscan = off")
        params = (uuid.uuid4(), True, 20, datetime.now(UTC), uuid.uuid4())
        plan = "\n".join(row[0] for row in await db.fetch(f"EXPLAIN {PAGE_AFTER}", *params))
    assert "ix_notifications_user" in plan, plan
    index_condition = next(line for line in plan.splitlines() if "Index Cond" in line)
    assert "created_at" in index_condition, plan
