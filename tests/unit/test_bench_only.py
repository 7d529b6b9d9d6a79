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


def test_a_failing_scenario_is_a_row_and_the_next_one_still_runs() -> None:
    from tickets.bench.report import Report
    from tickets.cli.bench import run_scenarios

    ran: list[str] = []

    async def broken(report: Report, url: str, quick: bool) -> None:
        raise RuntimeError("seeding failed")

    async def fine(report: Report, url: str, quick: bool) -> None:
        ran.append("lag")
        report.check("lag p99", 1.0, "ms", maximum=100)

    report = Report(quick=True, database="external")
    failed = run_scenarios({"outbox": broken, "lag": fine}, {"outbox", "lag"}, report, "u", True)
    assert failed == ["outbox"]
    assert ran == ["lag"]
    assert [(t.name, t.met) for t in report.targets] == [
        ("outbox: scenario failed", False),
        ("lag p99", True),
    ]
    assert "seeding failed" in report.targets[0].target
