"""The message bus: runs a command through the pipeline behaviours, then its handler
inside one unit of work, replaying stored results for repeated idempotency keys."""

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar, cast

from tickets.application.command_handlers import COMMAND_HANDLERS, CommandHandler
from tickets.application.commands import Command
from tickets.application.errors import IdempotencyKeyReused, IdempotencyRace
from tickets.application.ports import (
    ClockAndIds,
    MessageContext,
    StoredResponse,
    UnitOfWorkFactory,
)
from tickets.application.results import Result

R = TypeVar("R", bound=Result, covariant=True)


@dataclass(frozen=True)
class Outcome(Generic[R]):
    result: R
    replayed: bool = False


Next = Callable[[Command[Result], MessageContext], Awaitable[Outcome[Result]]]
Behaviour = Callable[[Command[Result], MessageContext, Next], Awaitable[Outcome[Result]]]


class MessageBus:
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock_and_ids: ClockAndIds,
        behaviours: Sequence[Behaviour] = (),
        handlers: Mapping[type[Command[Result]], CommandHandler] = COMMAND_HANDLERS,
    ) -> None:
        self._uow_factory = uow_factory
        self._clock_and_ids = clock_and_ids
        self._behaviours = tuple(behaviours)
        self._handlers = dict(handlers)
        pipeline: Next = self._execute
        for behaviour in reversed(self._behaviours):
            pipeline = _wrap(behaviour, pipeline)
        self._pipeline = pipeline

    async def handle(self, command: Command[R], context: MessageContext) -> Outcome[R]:
        outcome = await self._pipeline(command, context)
        # The one cast: each command type is registered with the handler that returns
        # its R (see command_handlers._pair), and a replay returns what that handler returned.
        return cast(Outcome[R], outcome)

    def with_clock_and_ids(self, clock_and_ids: ClockAndIds) -> "MessageBus":
        """This bus, with its behaviours and handlers, on another clock and id source."""
        return MessageBus(self._uow_factory, clock_and_ids, self._behaviours, self._handlers)

    async def _execute(self, command: Command[Result], context: MessageContext) -> Outcome[Result]:
        handler = self._handlers[type(command)]
        request = context.idempotency
        scope = command.idempotency_scope()
        try:
            async with self._uow_factory(context) as uow:
                if request is not None:
                    stored = await uow.idempotency.get(scope, request.key)
                    if stored is not None:
                        return _replay(stored, request.fingerprint)
                result = await handler(command, uow, self._clock_and_ids)
                if request is not None:
                    uow.idempotency.remember(scope, request, result)
                await uow.commit()
                return Outcome(result)
        except IdempotencyRace:
            # A concurrent request with the same key committed first; ours rolled back.
            assert request is not None
            async with self._uow_factory(context) as uow:
                stored = await uow.idempotency.get(scope, request.key)
            assert stored is not None, "an idempotency race implies a stored response"
            return _replay(stored, request.fingerprint)


def _replay(stored: StoredResponse, fingerprint: str) -> Outcome[Result]:
    if stored.fingerprint != fingerprint:
        raise IdempotencyKeyReused("this Idempotency-Key was already used with a different request")
    return Outcome(stored.result, replayed=True)


def _wrap(behaviour: Behaviour, inner: Next) -> Next:
    # A plain function returning the behaviour's coroutine, not a wrapping coroutine:
    # one frame per behaviour, and every resumption after a database round trip passes
    # through each frame of the chain.
    def step(command: Command[Result], context: MessageContext) -> Awaitable[Outcome[Result]]:
        return behaviour(command, context, inner)

    return step
