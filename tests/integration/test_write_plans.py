"""The command path's statements stay primary-key lookups whatever the table's size.

Each pooled command connection plans a statement once (``COMMAND_SESSION``) and keeps
that plan for its lifetime. A plan made while the tickets table was still empty must
not be a scan of the table: once it has grown, every later command would pay for it.
"""

import asyncio

import asyncpg

from tickets.infrastructure.command_writes import CHANGE_ONE, CREATE_ONE
from tickets.infrastructure.migrate import upgrade_to_head
from tickets.infrastructure.pools import COMMAND_SESSION
from tickets.infrastructure.ticket_repository import LOAD
from tickets.testing.scratch_databases import scratch_database


async def _kept_plan(connection: asyncpg.Connection, statement: str) -> str:
    """The plan this session keeps for ``statement``, whatever its parameters."""
    await connection.execute(f"PREPARE kept AS {statement}")
    parameters = await connection.fetchval(
        "SELECT cardinality(parameter_types) FROM pg_prepared_statements WHERE name = 'kept'"
    )
    rows = await connection.fetch(f"EXPLAIN EXECUTE kept({', '.join(['NULL'] * parameters)})")
    await connection.execute("DEALLOCATE kept")
    return "\n".join(row[0] for row in rows)


async def test_plans_made_on_an_empty_table_look_tickets_up_by_key(server_url: str) -> None:
    async with scratch_database(server_url) as url:
        await asyncio.to_thread(upgrade_to_head, url, url)
        connection = await asyncpg.connect(url, server_settings=COMMAND_SESSION)
        try:
            plans = {
                name: await _kept_plan(connection, statement)
                for name, statement in [
                    ("load", LOAD),
                    ("change", CHANGE_ONE),
                    ("create", CREATE_ONE),
                ]
            }
        finally:
            await connection.close()
    for name in ("load", "change"):
        assert "Index Scan using tickets_pkey" in plans[name], plans[name]
    for name, plan in plans.items():
        assert "Seq Scan on tickets" not in plan, f"{name}: {plan}"
