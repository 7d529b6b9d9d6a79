"""Read side: projections and raw-SQL queries (built by the read-model issue)."""
