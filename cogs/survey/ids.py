"""Every custom_id the survey sends, in one place: `render.py` builds the controls from these
formats and discord.py matches incoming clicks to the items against the same ones."""

from __future__ import annotations

from cogs._components import IdFormat

# A response reference (`bot.survey.refs.ResponseRef`): the id, with "c" in front for a
# check-in (same engine, own tables).
_RID = r"c?\d+"
_STEP = r"[a-z0-9_/]+"

ANSWER = IdFormat("sv:a:{rid}:{step}:{value}", rid=_RID, step=_STEP, value=r"-?[a-z0-9_]+")
CHOICE = IdFormat("sv:m:{rid}:{step}:{field}", rid=_RID, step=_STEP, field=r"[a-z0-9_]*")
FORM_BUTTON = IdFormat("sv:f:{rid}:{step}", rid=_RID, step=_STEP)
NAV = IdFormat(
    "sv:n:{rid}:{step}:{action}", rid=_RID, step=_STEP, action=r"back|skip|pause|continue|done"
)
CHANGE = IdFormat("sv:c:{rid}:{chunk}", rid=_RID, chunk=r"\d")
START = IdFormat(
    "sv:s:{guild}:{mode}:{surface}", guild=r"\d+", mode=r"new|retake", surface=r"dm|guild"
)
DECLINE = IdFormat("sv:x")
ERASE = IdFormat("sv:e:{guild}:{user}:{verdict}", guild=r"\d+", user=r"\d+", verdict=r"erase|keep")
# The form for typed answers: handled by `Survey.on_interaction`, so that a form opened
# before a restart still reaches the survey.
FORM = IdFormat("sv:form:{rid}:{step}", rid=_RID, step=_STEP)

# The opt-in to check-ins under the survey's thank-you: sent by the survey, handled by
# check-ins (their `ids` lists it with their own). In check-ins' "ck:" namespace since its
# first release, so buttons already sent keep working.
OPT_IN = IdFormat("ck:o:{guild}", guild=r"\d+")

ALL = (ANSWER, CHOICE, FORM_BUTTON, NAV, CHANGE, START, DECLINE, ERASE, FORM)
