"""Pipeline behaviours wrapped around every command: logging, metrics, validation."""

import time

import structlog

from tickets.application.commands import Command
from tickets.application.errors import ApplicationError
from tickets.application.messagebus import Behaviour, Next, Outcome
from tickets.application.ports import MessageContext, Metrics
from tickets.application.results import Result
from tickets.domain.errors import DomainError


def _outcome_of(error: BaseException) -> str:
    if isinstance(error, DomainError | ApplicationError):
        return error.code
    return "error"


def _ids(command: Command[Result], context: MessageContext) -> dict[str, str]:
    """What every command log line carries (passed per call: cheaper than log.bind)."""
    return {
        "command": type(command).__name__,
        "command_id": str(context.command_id),
        "correlation_id": context.correlation_id,
    }


def logging_behaviour() -> Behaviour:
    """Log each command with its correlation id, outcome and duration."""
    log = structlog.get_logger("tickets.commands")

    async def behave(
        command: Command[Result], context: MessageContext, nxt: Next
    ) -> Outcome[Result]:
        started = time.perf_counter()
        try:
            outcome = await nxt(command, context)
        except (DomainError, ApplicationError) as error:
            log.info(
                "command.refused", code=error.code, reason=str(error), **_ids(command, context)
            )
            raise
        except Exception:
            log.exception("command.failed", **_ids(command, context))
            raise
        elapsed_ms = round((time.perf_counter() - started) * 1000, 2)
        log.info(
            "command.handled", replayed=outcome.replayed, ms=elapsed_ms, **_ids(command, context)
        )
        return outcome

    return behave


def metrics_behaviour(metrics: Metrics) -> Behaviour:
    """Count commands by type and outcome, and time them."""

    async def behave(
        command: Command[Result], context: MessageContext, nxt: Next
    ) -> Outcome[Result]:
        started = time.perf_counter()
        outcome_name = "ok"
        try:
            return await nxt(command, context)
        except BaseException as error:
            outcome_name = _outcome_of(error)
            raise
        finally:
            elapsed = time.perf_counter() - started
            metrics.command_handled(type(command).__name__, outcome_name, elapsed)

    return behave


def validation_behaviour() -> Behaviour:
    """Reject structurally invalid commands before any I/O."""

    async def behave(
        command: Command[Result], context: MessageContext, nxt: Next
    ) -> Outcome[Result]:
        command.validate()
        return await nxt(command, context)

    return behave


def default_behaviours(metrics: Metrics) -> list[Behaviour]:
    return [logging_behaviour(), metrics_behaviour(metrics), validation_behaviour()]
