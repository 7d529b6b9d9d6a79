"""The command span: a pipeline behaviour, outermost, added by the composition root only
when tracing is on. Its context is the trace context the command's events carry into
the outbox (``MessageContext.trace``), so every delivery continues this span."""

import dataclasses

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from tickets.application.commands import Command
from tickets.application.messagebus import Behaviour, Next, Outcome
from tickets.application.ports import MessageContext
from tickets.application.results import CommentResult, Result, TicketResult
from tickets.tracing import state
from tickets.tracing.propagation import carrier_of


def tracing_behaviour() -> Behaviour:
    async def behave(
        command: Command[Result], context: MessageContext, nxt: Next
    ) -> Outcome[Result]:
        tracer = state.TRACER
        if tracer is None:
            return await nxt(command, context)
        kind = type(command).__name__
        attributes: dict[str, str] = {
            "tickets.command.type": kind,
            "tickets.command.id": str(context.command_id),
            "tickets.correlation_id": context.correlation_id,
        }
        ticket_id = getattr(command, "ticket_id", None)
        if ticket_id is not None:
            attributes["tickets.ticket.id"] = str(ticket_id)
        span = tracer.start_span(f"command {kind}", kind=SpanKind.INTERNAL, attributes=attributes)
        token = otel_context.attach(trace.set_span_in_context(span))
        try:
            carried = dataclasses.replace(context, trace=carrier_of(span) or None)
            outcome = await nxt(command, carried)
        except BaseException as error:
            code = getattr(error, "code", None)
            if isinstance(code, str):  # refused by a rule (a 4xx): the outcome, not a fault
                span.set_attribute("tickets.command.outcome", code)
            else:
                span.set_status(Status(StatusCode.ERROR, type(error).__name__))
                span.set_attribute("error.type", type(error).__qualname__)
            raise
        else:
            result = outcome.result
            if isinstance(result, TicketResult | CommentResult):
                ticket = result.id if isinstance(result, TicketResult) else result.ticket_id
                span.set_attribute("tickets.ticket.id", str(ticket))
                span.set_attribute("tickets.ticket.version", result.version)
            span.set_attribute("tickets.command.outcome", "ok")
            span.set_attribute("tickets.command.replayed", outcome.replayed)
            return outcome
        finally:
            span.end()
            otel_context.detach(token)

    return behave
