"""Every custom_id check-ins send: built and matched from the same formats. The server
travels in each id because reminders arrive in DMs, which have none."""

from __future__ import annotations

from cogs._components import IdFormat
from cogs.survey.ids import OPT_IN

_GUILD = r"\d+"

REMINDER = IdFormat(
    "ck:r:{guild}:{period}:{action}",
    guild=_GUILD,
    period=r"[0-9+-]{10,21}",
    action=r"start|tomorrow|skip|stop",
)
# The schedule form opened by the opt-in button; handled by `CheckIns.on_interaction`,
# so a form opened before a restart still arrives.
SCHEDULE_FORM = IdFormat("ck:form:{guild}", guild=_GUILD)

ALL = (REMINDER, OPT_IN, SCHEDULE_FORM)
