"""How `--help` shows parameters: flags without a placeholder, arguments as USERNAME.

Typer's help gives every option a type placeholder, flags included (``--help <bool>``,
which reads as if the flag took a value), and writes a required argument as
``{username}`` in the usage line. Every command and group of `tickets` is built from
the classes here (through ``Typer``), which drop the placeholder of an option that
takes no value and write arguments the way click and most CLIs do: ``USERNAME``,
``[NAME]`` when optional.
"""

from collections.abc import Callable
from typing import Any

import typer
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption


def _without_flag_placeholders(params: list[Any]) -> list[Any]:
    for param in params:
        # an empty metavar: the help shows nothing where a value would go
        if isinstance(param, TyperOption) and (param.is_flag or param.count):
            param.metavar = param.metavar or ""
    return params


def _usage(command: TyperCommand | TyperGroup, ctx: Any) -> list[str]:
    pieces = [command.options_metavar] if command.options_metavar else []
    for param in command.get_params(ctx):
        if isinstance(param, TyperArgument):
            name = (param.metavar or param.name or "").upper()
            name = name if param.required else f"[{name}]"
            pieces.append(name if param.nargs == 1 else f"{name}...")
    return pieces


class Command(TyperCommand):
    def get_params(self, ctx: Any) -> list[Any]:
        return _without_flag_placeholders(super().get_params(ctx))

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        return _usage(self, ctx)


class Group(TyperGroup):
    def get_params(self, ctx: Any) -> list[Any]:
        return _without_flag_placeholders(super().get_params(ctx))

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        return [*_usage(self, ctx), self.subcommand_metavar]


class Typer(typer.Typer):
    """A typer app whose commands and groups format their help as above."""

    def __init__(self, **options: Any) -> None:
        super().__init__(cls=Group, **options)

    def command(self, *args: Any, **options: Any) -> Callable[[Any], Any]:
        options.setdefault("cls", Command)
        return super().command(*args, **options)
