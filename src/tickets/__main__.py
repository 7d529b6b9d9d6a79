"""`python -m tickets` is the `tickets` command."""

from tickets.cli import main

main()
