"""The database connection the read model's projections and queries run on."""

from typing import TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

Connection: TypeAlias = asyncpg.Connection | PoolConnectionProxy
"""A connection of its own (a rebuild, a test) or one a pool lends (delivery, queries):
both run the same statements."""
