"""Exports for moderators: the survey's rows, every check-in in long format, and a codebook.

Members appear under pseudonymous ids (an HMAC of their Discord id with the server's secret).
A pseudonym is not anonymity: whoever knows a member's answers can find their row, and a
time to the second would let anyone holding the file match a row to "X said they just
finished". So every time is cut to the day (a UTC date, `YYYY-MM-DD`), and rows are in
the order of their pseudonymous ids (a member's check-ins by `checkin_number`), never in
the order members started or finished.

`exporter.py` reads the database and delivers the files; `codebook.py` lays out their
columns, `rows.py` fills them, `privacy.py` holds the pseudonyms and days and
`formats.py` writes CSV and JSON.
"""

from __future__ import annotations

from bot.results.export.exporter import Exporter, ExportFile

__all__ = ["ExportFile", "Exporter"]
