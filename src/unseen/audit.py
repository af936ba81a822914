"""What a file gives away: metadata, hidden pictures, trailers and faces."""
from __future__ import annotations

from pathlib import Path

from .formats import handler_for
from .metadata import image_findings
from .model import AuditResult
from .probe import probe


def audit_image(path: Path, faces: bool = True) -> AuditResult:
    res = AuditResult(input=str(path))
    p = probe(path)
    res.kind, res.format = p.kind, p.format
    handler = handler_for(p)
    raw = path.read_bytes()
    with handler.open(path, p.format) as im:  # type: ignore[attr-defined]
        res.width, res.height = im.size
        res.findings = image_findings(im, p.format, raw)
    if faces:
        from .pipeline import detect_faces

        pic = handler.decode(path, p.format)  # type: ignore[attr-defined]
        res.width, res.height = pic.width, pic.height
        res.faces = detect_faces(pic)
    return res
