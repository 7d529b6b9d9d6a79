"""Guard for the one library internal the project keeps (docs/design.md, "Library
internals"): wire.send writes a batch into aiormq's channel the way aiormq's own
``basic_publish`` writes one message. Any change to what it relies on fails here, with
the piece named, before an upgrade reaches the broker tests."""

import dataclasses
import inspect
from importlib.metadata import version

from aiormq import Channel
from aiormq.abc import ChannelFrame

from tickets.infrastructure.broker import wire

TESTED_MAJOR = "7"


def test_aiormq_is_the_major_version_wire_was_measured_with() -> None:
    assert version("aiormq").split(".")[0] == TESTED_MAJOR, (
        "aiormq's major version changed: check wire.send against Channel.basic_publish, "
        "re-run `tickets bench --only broker` and update the bound in pyproject.toml"
    )


def test_basic_publish_still_uses_the_channel_as_wire_send_does() -> None:
    source = inspect.getsource(Channel.basic_publish)
    for piece in (
        "async with self.lock",
        "self.delivery_tag += 1",
        "self.confirmations[delivery_tag] = confirmation",
        "self.write_queue.put(",
        "ChannelFrame.marshall(",
    ):
        assert piece in source, f"aiormq's basic_publish no longer does {piece!r}: see wire.send"


def test_channel_frame_still_has_the_fields_wire_send_sets() -> None:
    fields = {f.name: f for f in dataclasses.fields(ChannelFrame)}
    assert {"payload", "should_close"} <= set(fields), fields
    frame = ChannelFrame(payload=b"x", should_close=False)
    assert (frame.payload, frame.should_close, frame.should_drain) == (b"x", False, False)


def test_wire_send_uses_only_what_is_checked_here() -> None:
    source = inspect.getsource(wire.send)
    for name in ("lock", "delivery_tag", "confirmations", "write_queue"):
        assert f"channel.{name}" in source, name
    assert "ChannelFrame(payload=payload, should_close=False)" in source
