"""Minimal walkers over container structure (segments, chunks, boxes).

Used by ``audit`` to find hidden blocks and trailers, and by ``verify`` as a reader that is
independent of the library that wrote the output.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

from ..i18n import N_


@dataclass
class Layout:
    blocks: list[str] = field(default_factory=list)  # names of the metadata-capable blocks, in order
    trailer: int = 0  # bytes after the logical end of the file
    problems: list[str] = field(default_factory=list)  # structural damage seen while walking


def _keep(lay: Layout, name: str, body: bytes) -> None:
    lay.blocks.append(name)


def jpeg(data: bytes) -> Layout:
    lay = Layout()
    i = 2
    n = len(data)
    while i + 2 <= n:
        if data[i] != 0xFF:
            lay.problems.append(N_("bad marker at {offset}").format(offset=i))
            return lay
        marker = data[i + 1]
        if marker == 0xFF:
            i += 1
            continue
        if marker == 0xD9:  # EOI
            lay.trailer = n - (i + 2)
            return lay
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            i += 2
            continue
        if i + 4 > n:
            break
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        body = data[i + 4 : i + 2 + length]
        if 0xE0 <= marker <= 0xEF:
            ident = body.split(b"\x00", 1)[0][:32].decode("latin-1", "replace")
            _keep(lay, f"APP{marker - 0xE0}:{ident}", body)
        elif marker == 0xFE:
            _keep(lay, "COM", body)
        i += 2 + length
        if marker == 0xDA:  # entropy-coded data follows: skip to the next real marker
            while i + 1 < n and not (data[i] == 0xFF and data[i + 1] not in (0x00, *range(0xD0, 0xD8))):
                i += 1
    lay.problems.append(N_("no end-of-image marker (truncated)"))
    return lay


def png(data: bytes) -> Layout:
    lay = Layout()
    i = 8
    n = len(data)
    while i + 8 <= n:
        length, ctype = struct.unpack(">I4s", data[i : i + 8])
        name = ctype.decode("latin-1")
        if name not in ("IHDR", "PLTE", "IDAT", "IEND", "tRNS", "acTL", "fcTL", "fdAT"):
            _keep(lay, name, data[i + 8 : i + 8 + length])
        i += 12 + length
        if name == "IEND":
            lay.trailer = max(0, n - i)
            return lay
    lay.problems.append(N_("no IEND chunk (truncated)"))
    return lay


def webp(data: bytes) -> Layout:
    lay = Layout()
    (riff_size,) = struct.unpack("<I", data[4:8])
    end = 8 + riff_size
    lay.trailer = max(0, len(data) - end)
    i = 12
    while i + 8 <= min(end, len(data)):
        ctype, length = struct.unpack("<4sI", data[i : i + 8])
        name = ctype.decode("latin-1")
        body = data[i + 8 : i + 8 + length]
        if name == "VP8X" and body and body[0] & 0b00101100:  # ICC, EXIF or XMP flag set
            _keep(lay, "VP8X-metadata-flags", body[:1])
        if name not in ("VP8 ", "VP8L", "VP8X", "ALPH", "ANIM", "ANMF"):
            _keep(lay, name.strip(), body)
        i += 8 + length + (length & 1)
    return lay


def gif(data: bytes) -> Layout:
    lay = Layout()
    n = len(data)
    if n < 13:
        lay.problems.append(N_("truncated header"))
        return lay
    flags = data[10]
    i = 13 + (3 * (2 ** ((flags & 7) + 1)) if flags & 0x80 else 0)

    def skip_sub_blocks(j: int) -> tuple[int, bytes]:
        chunks = []
        while j < n and data[j] != 0:
            chunks.append(data[j + 1 : j + 1 + data[j]])
            j += 1 + data[j]
        return j + 1, b"".join(chunks)

    while i < n:
        b = data[i]
        if b == 0x3B:
            lay.trailer = n - i - 1
            return lay
        if b == 0x21 and i + 1 < n:
            label = data[i + 1]
            if label == 0xFF and i + 2 < n:
                ident = data[i + 3 : i + 3 + data[i + 2]]
                i, body = skip_sub_blocks(i + 3 + data[i + 2])
                if not (ident.startswith(b"NETSCAPE2.0") or ident.startswith(b"ANIMEXTS1.0")):
                    _keep(lay, "APP:" + ident.decode("latin-1", "replace"), body)
            else:
                i, body = skip_sub_blocks(i + 2)
                if label == 0xFE:
                    _keep(lay, "comment", body)
                elif label == 0x01:
                    _keep(lay, "plain-text", body)
        elif b == 0x2C and i + 10 <= n:
            lflags = data[i + 9]
            i += 10 + (3 * (2 ** ((lflags & 7) + 1)) if lflags & 0x80 else 0)
            i, _ = skip_sub_blocks(i + 1)
        else:
            lay.problems.append(N_("unexpected byte at {offset}").format(offset=i))
            return lay
    lay.problems.append(N_("no trailer (truncated)"))
    return lay


def bmff(data: bytes) -> Layout:
    """ISO base media (HEIF/AVIF): top-level boxes and the item types listed in ``meta/iinf``."""
    lay = Layout()

    def boxes(start: int, end: int):
        i = start
        while i + 8 <= end:
            size, btype = struct.unpack(">I4s", data[i : i + 8])
            head = 8
            if size == 1 and i + 16 <= end:
                (size,) = struct.unpack(">Q", data[i + 8 : i + 16])
                head = 16
            elif size == 0:
                size = end - i
            if size < head or i + size > end:
                lay.problems.append(N_("box {box} overruns the file").format(box=repr(btype)))
                return
            yield btype.decode("latin-1"), i + head, i + size
            i += size

    top_end = 0
    for name, body, end in boxes(0, len(data)):
        top_end = end
        if name not in ("ftyp", "meta", "mdat", "free", "skip", "moov"):
            _keep(lay, name, data[body:end])
        if name == "meta":
            for sub, sbody, send in boxes(body + 4, end):
                if sub == "iinf":
                    version = data[sbody]
                    first = sbody + 4 + (2 if version == 0 else 4)
                    for ent, ebody, eend in boxes(first, send):
                        if ent == "infe" and data[ebody] >= 2:
                            off = ebody + 4 + (2 if data[ebody] == 2 else 4) + 2
                            itype = data[off : off + 4].decode("latin-1")
                            if itype in ("Exif", "mime", "uri "):
                                _keep(lay, f"item:{itype}", b"")
                elif sub == "iref":
                    for ref, _, _ in boxes(sbody + 4, send):
                        if ref in ("thmb", "cdsc", "prem"):
                            _keep(lay, f"iref:{ref}", b"")
                elif sub == "iprp":
                    seg = data[sbody:send]
                    if b"colr" in seg and (b"prof" in seg or b"rICC" in seg):
                        _keep(lay, "colr:icc", b"")
                    if b"urn:com:apple:photo:2020:aux:hdrgainmap" in seg or b"depth" in seg:
                        _keep(lay, "aux:depth-or-gainmap", b"")
    lay.trailer = max(0, len(data) - top_end)
    return lay


def bmff_without_index(path: Path) -> bool:
    """An MP4 or MOV (``ftyp`` first) with no top-level ``moov`` box: the index a recording
    writes last, missing where it stopped abruptly or a copy was cut short. Box headers only,
    read in place: a recording of gigabytes is not read into memory."""
    with open(path, "rb") as f:
        end = f.seek(0, 2)
        i, first = 0, True
        while i + 8 <= end:
            f.seek(i)
            head = f.read(16)
            size, btype = struct.unpack(">I4s", head[:8])
            if first and btype != b"ftyp":
                return False
            first = False
            if btype == b"moov":
                return False
            if size == 1 and len(head) == 16:
                (size,) = struct.unpack(">Q", head[8:16])
            elif size == 0:
                size = end - i
            if size < 8:
                break
            i += size
        return not first


WALKERS = {"jpeg": jpeg, "png": png, "webp": webp, "gif": gif, "heif": bmff, "avif": bmff}


def layout(fmt: str, data: bytes) -> Layout | None:
    walker = WALKERS.get(fmt)
    if walker is None:
        return None
    try:
        return walker(data)
    except (struct.error, IndexError) as e:
        lay = Layout()
        lay.problems.append(N_("malformed structure ({reason})").format(reason=e))
        return lay
