"""Read side: the `read` schema's projections (event → SQL) and raw-SQL queries."""
