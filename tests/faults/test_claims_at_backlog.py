"""Guarantee 9: a claim reads in proportion to its batch, never to the backlog, whatever
the planner statistics say: 100,000 pending events, statistics taken when the log was
empty, autovacuum off for the log (issue "Delivery that never stops")."""

from tickets.bench.claims import claim_cost, fill_backlog, freeze_statistics, sequence_all
from tickets.bootstrap import Runtime
from tickets.infrastructure.outbox.lanes import LANES

PENDING = 100_000
BATCH = 160


async def test_every_claim_is_index_ordered_and_bounded_by_its_batch(runtime: Runtime) -> None:
    pool = runtime.pools.write
    await freeze_statistics(pool)
    await fill_backlog(pool, PENDING)
    await sequence_all(pool)  # each run positions at most its own LIMIT
    head = int(await pool.fetchval("SELECT position FROM tickets.outbox_head"))
    assert head == PENDING
    assert (
        await pool.fetchval(
            "SELECT reltuples FROM pg_class WHERE oid = 'tickets.outbox_messages_default'::regclass"
        )
        <= 0
    ), "the statistics still say the log is empty"

    for after in (0, head // 4, head // 2, head - 5_000):
        cost = await claim_cost(pool, after, BATCH)
        assert cost["rows"] == BATCH
        scans = [n for n in cost["nodes"] if "outbox_messages" in n]
        assert scans, cost
        assert all(n.startswith("Index Scan on") for n in scans), cost
        assert "Sort" not in cost["nodes"], "the order comes from the index"
        # Every row of a lane page may sit on its own heap page, plus a few index pages
        # per lane and partition: a bound of the batch, far below the log's pages.
        assert cost["pages"] <= 2 * BATCH + 20 * LANES, cost
