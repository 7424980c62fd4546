"""Every custom_id the treatment commands send: built and matched from the same formats."""

from __future__ import annotations

from cogs._components import IdFormat

RELATED = IdFormat("tr:v:{id}", id=r"[a-z0-9_]+")
SAFETY = IdFormat("tr:s:{id}", id=r"[a-z0-9_]+")
PAGE = IdFormat("tr:p:{category}:{page}:{dir}", category=r"[a-z_]*", page=r"\d+", dir=r"prev|next")
RESOLVE = IdFormat("tr:r:{id}:{verdict}", id=r"\d+", verdict=r"accept|dismiss")

ALL = (RELATED, SAFETY, PAGE, RESOLVE)
