"""Errors whose message is written for members and safe to show them as is."""


class UserFacingError(Exception):
    """Raised by the core when a member asked for something that cannot be done.

    The Discord layer shows `str(exc)` to the member, ephemerally, and logs nothing
    alarming: it is an expected outcome, not a bug.
    """
