"""The message bus: runs a command through the pipeline behaviours, then its handler
inside one unit of work, replaying stored results for repeated idempotency keys."""

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

from tickets.application.commands import Command
from tickets.application.errors import IdempotencyKeyReused
from tickets.application.handlers import COMMAND_HANDLERS, Deps, Handler
from tickets.application.ports import MessageContext, StoredResponse, UnitOfWorkFactory
from tickets.application.results import Result


@dataclass(frozen=True)
class Outcome:
    result: Result
    replayed: bool = False


class IdempotencyRace(Exception):
    """Raised by a unit of work whose idempotency key was committed concurrently."""


Next = Callable[[Command, MessageContext], Awaitable[Outcome]]
Behaviour = Callable[[Command, MessageContext, Next], Awaitable[Outcome]]


class MessageBus:
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        deps: Deps,
        behaviours: Sequence[Behaviour] = (),
        handlers: Mapping[type[Command], Handler] = COMMAND_HANDLERS,
    ) -> None:
        self._uow_factory = uow_factory
        self._deps = deps
        self._handlers = dict(handlers)
        pipeline: Next = self._execute
        for behaviour in reversed(behaviours):
            pipeline = _wrap(behaviour, pipeline)
        self._pipeline = pipeline

    async def handle(self, command: Command, context: MessageContext) -> Outcome:
        return await self._pipeline(command, context)

    async def _execute(self, command: Command, context: MessageContext) -> Outcome:
        handler = self._handlers[type(command)]
        request = context.idempotency
        scope = command.idempotency_scope()
        try:
            async with self._uow_factory(context) as uow:
                if request is not None:
                    stored = await uow.idempotency.get(scope, request.key)
                    if stored is not None:
                        return _replay(stored, request.fingerprint)
                result = await handler(command, uow, self._deps)
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

    async def handle_batch(self, commands: Sequence[Command], context: MessageContext) -> int:
        """Run many commands in one unit of work and one commit (bulk loads such as
        seeding): the same handlers, domain rules and outbox rows, fewer round trips.
        Any refused command rolls the whole batch back. No idempotency keys."""
        async with self._uow_factory(context) as uow:
            for command in commands:
                command.validate()
                await self._handlers[type(command)](command, uow, self._deps)
            await uow.commit()
        return len(commands)


def _replay(stored: StoredResponse, fingerprint: str) -> Outcome:
    if stored.fingerprint != fingerprint:
        raise IdempotencyKeyReused("this Idempotency-Key was already used with a different request")
    return Outcome(stored.result, replayed=True)


def _wrap(behaviour: Behaviour, inner: Next) -> Next:
    # A plain function returning the behaviour's coroutine, not a wrapping coroutine:
    # one frame per behaviour, and every resumption after a database round trip passes
    # through each frame of the chain.
    def step(command: Command, context: MessageContext) -> Awaitable[Outcome]:
        return behaviour(command, context, inner)

    return step
