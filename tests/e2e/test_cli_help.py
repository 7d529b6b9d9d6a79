"""`tickets … --help` reads naturally: a flag shows no value placeholder, an argument is
written USERNAME (or [NAME]) in the usage line; `tickets --version` prints the version."""

import re
from collections.abc import Iterator

import pytest
import typer
from typer.testing import CliRunner

from tickets.cli import app
from tickets.version import version

runner = CliRunner()


def command_paths(group: object = None, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    command = group or typer.main.get_command(app)
    yield prefix
    for name, sub in getattr(command, "commands", {}).items():
        yield from command_paths(sub, (*prefix, name))


COMMANDS = sorted(command_paths())


def help_of(*path: str) -> str:
    result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "160", "NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    return result.output


def test_every_command_is_covered() -> None:
    assert ("token",) in COMMANDS
    assert ("events", "tail") in COMMANDS
    assert len(COMMANDS) > 15


@pytest.mark.parametrize("path", COMMANDS, ids=lambda path: " ".join(path) or "tickets")
def test_flags_show_no_placeholder_and_usage_no_braces(path: tuple[str, ...]) -> None:
    text = help_of(*path)
    assert "<bool>" not in text, text
    usage = next(line for line in text.splitlines() if "Usage:" in line)
    assert "{" not in usage, usage
    assert re.search(r"--help\s+Show this message", text), text


def test_arguments_are_named_in_capitals_in_the_usage_line() -> None:
    assert re.search(r"Usage: \S+ token \[OPTIONS\] USERNAME\s*$", help_of("token"), re.M)
    rebuild = help_of("projections", "rebuild")
    assert re.search(r"Usage: \S+ projections rebuild \[OPTIONS\] \[NAME\]\s*$", rebuild, re.M)


def test_an_option_with_a_value_keeps_its_placeholder() -> None:
    assert re.search(r"--role\s+<requester\|approver\|admin>", help_of("token"))


def test_version_prints_the_package_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"tickets {version()}"
    assert re.fullmatch(r"\d+\.\d+\.\d+\S*", version())
