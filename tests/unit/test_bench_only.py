"""`tickets bench --only` takes scenario names repeated or separated by commas."""

from typer.testing import CliRunner

from tickets.cli import app
from tickets.cli.bench import chosen_scenarios


def test_only_accepts_repeats_and_comma_separated_lists() -> None:
    assert chosen_scenarios(["http,outbox"]) == {"http", "outbox"}
    assert chosen_scenarios(["http", "outbox, lag"]) == {"http", "outbox", "lag"}
    assert chosen_scenarios(None) == set()


def test_an_unknown_name_in_a_list_is_refused_alone() -> None:
    result = CliRunner().invoke(
        app, ["bench", "--only", "http,outbx"], env={"COLUMNS": "200", "NO_COLOR": "1"}
    )
    assert result.exit_code == 2
    assert "unknown scenario(s): outbx" in result.output
    assert "http" not in result.output.split("unknown scenario(s):")[1]
