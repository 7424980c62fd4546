"""Reading back the text a chart of ours embeds in its PNG (tEXt, zTXt or iTXt chunks): the
data behind the picture, for tests and the HTML report, checked chunk by chunk (CRC)."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def read_text_chunk(png: bytes, key: str) -> str:
    """The text stored under `key` in a PNG tEXt, zTXt or iTXt chunk (ValueError if none)."""
    if not png.startswith(_PNG_SIGNATURE):
        raise ValueError("not a PNG file")
    for kind, data in _chunks(png):
        if kind not in (b"tEXt", b"zTXt", b"iTXt"):
            continue
        raw_key, _, rest = data.partition(b"\0")
        if raw_key.decode("latin-1") != key:
            continue
        if kind == b"tEXt":
            return rest.decode("latin-1")
        if kind == b"zTXt":  # compression method byte, then zlib data
            return zlib.decompress(rest[1:]).decode("latin-1")
        compressed, body = rest[0], rest[2:]  # flag, method, language\0 translated\0 text
        body = body.partition(b"\0")[2].partition(b"\0")[2]
        return (zlib.decompress(body) if compressed else body).decode("utf-8")
    raise ValueError(f"the PNG has no {key} text chunk")


def _chunks(png: bytes) -> Iterator[tuple[bytes, bytes]]:
    offset = len(_PNG_SIGNATURE)
    while offset + 12 <= len(png):
        (length,) = struct.unpack(">I", png[offset : offset + 4])
        kind = png[offset + 4 : offset + 8]
        data = png[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack(">I", png[offset + 8 + length : offset + 12 + length])
        if len(data) != length or zlib.crc32(kind + data) != crc:
            raise ValueError(f"damaged PNG chunk {kind!r} at byte {offset}")
        yield kind, data
        if kind == b"IEND":
            return
        offset += 12 + length
    raise ValueError("the PNG ends before its IEND chunk")
