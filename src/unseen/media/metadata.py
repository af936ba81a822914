"""Read what an image file gives away, in words a person understands.

Values are for ``audit`` only; ``clean`` reports keep just the names (a report must never
repeat a position, a name or a serial number).
"""
from __future__ import annotations

import io
import re
import struct

from PIL import ExifTags, Image, IptcImagePlugin

from . import containers
from .still import image_count
from ..i18n import N_
from ..types import Finding
from ..names import PNG_CUSTOM, PNG_KEYWORDS

_GPS_IFD, _EXIF_IFD, _INTEROP_IFD = 0x8825, 0x8769, 0xA005

# EXIF tag -> (category, label)
_EXIF_TAGS: dict[int, tuple[str, str]] = {
    0x010F: ("device", N_("camera make")),
    0x0110: ("device", N_("camera model")),
    0x0131: ("software", N_("software")),
    0x013B: ("owner", N_("artist")),
    0x8298: ("owner", N_("copyright")),
    0x010E: ("owner", N_("image description")),
    0x9C9B: ("owner", N_("title (Windows)")),
    0x9C9C: ("owner", N_("comment (Windows)")),
    0x9C9D: ("owner", N_("author (Windows)")),
    0x9C9E: ("owner", N_("keywords (Windows)")),
    0x0132: ("time", N_("modification time")),
    0x9003: ("time", N_("capture time")),
    0x9004: ("time", N_("digitised time")),
    0x9010: ("time", N_("time zone")),
    0x9011: ("time", N_("time zone (capture)")),
    0xA430: ("owner", N_("camera owner name")),
    0xA431: ("device", N_("camera body serial number")),
    0xA432: ("device", N_("lens specification")),
    0xA433: ("device", N_("lens make")),
    0xA434: ("device", N_("lens model")),
    0xA435: ("device", N_("lens serial number")),
    0xA420: ("device", N_("unique image id")),
    0x927C: ("device", N_("maker notes (vendor block: serials, settings)")),
    0x9286: ("owner", N_("user comment")),
    0xC62F: ("device", N_("camera serial number (DNG)")),
    0xC614: ("device", N_("unique camera model (DNG)")),
}


def _text(v: object, limit: int = 80) -> str:
    if isinstance(v, bytes):
        v = v.decode("utf-8", "replace")
    s = " ".join(str(v).replace("\x00", " ").split())
    return s[:limit] + ("..." if len(s) > limit else "")


def _gps_decimal(gps: dict) -> str | None:
    def deg(vals: object, ref: object) -> float | None:
        try:
            d, m, s = (float(x) for x in vals)  # type: ignore[union-attr]
        except (TypeError, ValueError, ZeroDivisionError):
            return None
        out = d + m / 60 + s / 3600
        return -out if str(ref).strip("\x00 ").upper() in ("S", "W") else out

    lat = deg(gps.get(2), gps.get(1))
    lon = deg(gps.get(4), gps.get(3))
    if lat is None or lon is None:
        return None
    return f"{lat:.6f}, {lon:.6f}"


def exif_findings(exif: Image.Exif) -> list[Finding]:
    out: list[Finding] = []
    if not exif:
        return out
    ifds = [dict(exif)]
    for ifd in (_EXIF_IFD, _INTEROP_IFD):
        try:
            ifds.append(dict(exif.get_ifd(ifd)))
        except (KeyError, ValueError, struct.error, TypeError):
            pass
    for tags in ifds:
        for tag, value in tags.items():
            if tag in _EXIF_TAGS:
                cat, label = _EXIF_TAGS[tag]
                shown = f"{len(value)} bytes" if tag == 0x927C and isinstance(value, bytes) else _text(value)
                out.append(Finding(cat, label, shown))
    try:
        gps = dict(exif.get_ifd(_GPS_IFD))
    except (KeyError, ValueError, struct.error, TypeError):
        gps = {}
    if gps:
        pos = _gps_decimal(gps)
        out.append(Finding("location", N_("GPS position"), pos or N_("{n} GPS fields (no complete position)").format(n=len(gps))))
        if 6 in gps:
            out.append(Finding("location", N_("GPS altitude"), _text(gps[6])))
        if 29 in gps or 7 in gps:
            out.append(Finding("time", N_("GPS time stamp"), _text(gps.get(29, "")) + " " + _text(gps.get(7, ""))))
        named = {ExifTags.GPSTAGS.get(k, str(k)) for k in gps} - {
            "GPSVersionID", "GPSLatitude", "GPSLatitudeRef", "GPSLongitude", "GPSLongitudeRef",
            "GPSAltitude", "GPSAltitudeRef", "GPSDateStamp", "GPSTimeStamp",
        }
        if named:
            out.append(Finding("location", N_("other GPS fields"), ", ".join(sorted(named))))
    return out


_XMP_FIELDS = [
    (r"exif:GPSLatitude|exif:GPSLongitude", "location", N_("XMP GPS position")),
    (r"photoshop:City|photoshop:State|photoshop:Country|Iptc4xmpCore:Location|Iptc4xmpCore:CountryCode|Iptc4xmpExt:LocationShown|Iptc4xmpExt:LocationCreated", "location", N_("XMP place name")),
    (r"xmp:CreateDate|exif:DateTimeOriginal|photoshop:DateCreated|xmp:ModifyDate|xmp:MetadataDate", "time", N_("XMP date")),
    (r"tiff:Make|tiff:Model|aux:SerialNumber|exifEX:BodySerialNumber|aux:Lens|exifEX:LensModel|aux:LensSerialNumber", "device", N_("XMP device")),
    (r"xmp:CreatorTool|photoshop:History|xmpMM:History", "software", N_("XMP software/history")),
    (r"dc:creator|dc:rights|xmpRights:Owner|photoshop:Credit|photoshop:AuthorsPosition|Iptc4xmpCore:CreatorContactInfo|plus:CopyrightOwner", "owner", N_("XMP author/rights")),
    (r"dc:description|dc:title|dc:subject|exif:UserComment", "owner", N_("XMP description")),
    (r"xmpMM:DocumentID|xmpMM:InstanceID|xmpMM:OriginalDocumentID|xmpMM:DerivedFrom", "device", N_("XMP document ids")),
    (r"mwg-rs:Regions|MP:RegionInfo|MPRI:Regions", "owner", N_("XMP named face regions")),
    (r"GCamera:|GDepth:|GImage:|hdrgm:|Container:Directory", "hidden-picture", N_("XMP embedded image or depth map")),
]


def xmp_findings(xmp: bytes | str) -> list[Finding]:
    text = xmp.decode("utf-8", "replace") if isinstance(xmp, bytes) else xmp
    out = [Finding("other", N_("XMP packet"), N_("{n} characters").format(n=len(text)), identifying=False)]
    for pattern, cat, label in _XMP_FIELDS:
        names = sorted(set(re.findall(rf"(?:{pattern})\w*", text)))
        if names:
            out.append(Finding(cat, label, ", ".join(names)[:120]))
    return out


def icc_findings(icc: bytes) -> list[Finding]:
    out = []
    if len(icc) >= 128:
        manufacturer, model = icc[48:52], icc[52:56]
        desc = ""
        try:
            from PIL import ImageCms

            desc = ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(icc))).strip()
        except Exception:  # noqa: BLE001 - a broken profile is still a finding
            pass
        dev = _text(manufacturer + b" " + model).strip()
        identifying = bool(dev.strip("\x00 ")) and dev not in ("", "none")
        out.append(Finding("device", N_("ICC colour profile"), f"'{desc}'" + (f", device fields {dev!r}" if identifying else ""), identifying))
    return out


def iptc_findings(im: Image.Image) -> list[Finding]:
    try:
        info = IptcImagePlugin.getiptcinfo(im)
    except Exception:  # noqa: BLE001 - damaged IPTC must not stop the audit
        return [Finding("other", N_("IPTC block"), N_("unreadable"))]
    if not info:
        return []
    labels = {
        (2, 80): ("owner", N_("IPTC by-line (author)")),
        (2, 116): ("owner", N_("IPTC copyright")),
        (2, 90): ("location", N_("IPTC city")),
        (2, 92): ("location", N_("IPTC sub-location")),
        (2, 95): ("location", N_("IPTC province/state")),
        (2, 101): ("location", N_("IPTC country")),
        (2, 55): ("time", N_("IPTC date created")),
        (2, 60): ("time", N_("IPTC time created")),
        (2, 120): ("owner", N_("IPTC caption")),
        (2, 122): ("owner", N_("IPTC writer")),
        (2, 110): ("owner", N_("IPTC credit")),
        (2, 115): ("owner", N_("IPTC source")),
        (2, 25): ("owner", N_("IPTC keywords")),
    }
    out = []
    for key, value in info.items():
        cat, label = labels.get(key, ("other", N_("IPTC field {field}").format(field=f"{key[0]}:{key[1]}")))
        v = b"; ".join(value) if isinstance(value, list) else value
        out.append(Finding(cat, label, _text(v)))
    return out


def _thumbnail_finding(data: bytes, main_size: tuple[int, int], label: str) -> Finding:
    """Describe an embedded picture; say whether it shows something other than the main image."""
    try:
        with Image.open(io.BytesIO(data)) as t:
            t.load()
            size = t.size
            differs = ""
            tw, th = size
            mw, mh = main_size
            if tw and th and mw and mh and abs(tw / th - mw / mh) > 0.05 and abs(th / tw - mw / mh) > 0.05:
                differs = "; " + N_("its shape differs from the main image: it may show the unedited or uncropped original")
            return Finding("hidden-picture", label, N_("{size} {format}, {n} bytes").format(size=f"{tw}x{th}", format=t.format, n=len(data)) + differs)
    except Exception:  # noqa: BLE001
        return Finding("hidden-picture", label, N_("{n} bytes (not decodable)").format(n=len(data)))


def _mp_entries(im: Image.Image) -> list:
    """The images a JPEG's MPF block lists (the first is the picture itself). Pillow keeps them
    on the image (an MPO's ``mpinfo``), not in ``info``: read there, the stereo pair's second
    picture and a phone's gain map went unreported."""
    try:
        mp = getattr(im, "mpinfo", None) or (im._getmp() if hasattr(im, "_getmp") else None) or {}
        return list(mp.get(0xB002) or [])
    except Exception:  # noqa: BLE001 - a damaged MPF block: the trailer finding still tells of the bytes
        return []


def hidden_pictures(im: Image.Image, data: bytes) -> list[Finding]:
    out: list[Finding] = []
    exif = im.getexif()
    try:
        ifd1 = exif.get_ifd(ExifTags.IFD.IFD1) if exif else {}
    except (KeyError, ValueError, TypeError, struct.error):
        ifd1 = {}
    if ifd1 and 0x0201 in ifd1 and 0x0202 in ifd1:
        app1 = im.info.get("exif", b"")
        tiff = app1[6:] if app1.startswith(b"Exif\x00\x00") else app1
        off, ln = int(ifd1[0x0201]), int(ifd1[0x0202])
        blob = tiff[off : off + ln] if tiff else b""
        out.append(_thumbnail_finding(blob, im.size, N_("EXIF thumbnail")) if blob else Finding("hidden-picture", N_("EXIF thumbnail"), N_("{n} bytes").format(n=ln)))
    entries = _mp_entries(im)
    if len(entries) > 1:
        out.append(Finding("hidden-picture", N_("MPF secondary images"), N_("{n} extra image(s) (a second view, a preview, a depth or gain map)").format(n=len(entries) - 1)))
    ps = im.info.get("photoshop") or {}
    for rid in (0x0409, 0x040C):
        if rid in ps:
            blob = ps[rid]
            jpeg_at = blob.find(b"\xff\xd8")
            out.append(_thumbnail_finding(blob[jpeg_at:], im.size, N_("Photoshop thumbnail")) if jpeg_at >= 0 else Finding("hidden-picture", N_("Photoshop thumbnail"), N_("{n} bytes").format(n=len(blob))))
    return out


# GeoTIFF's tags place the picture on a map (a survey, a drone's or a satellite's image)
GEOTIFF_TAGS = {33550: "ModelPixelScale", 33922: "ModelTiepoint", 34264: "ModelTransformation", 34735: "GeoKeyDirectory", 34736: "GeoDoubleParams", 34737: "GeoAsciiParams"}
# formats whose metadata blocks unseen does not walk (PSD's image resources, JPEG 2000's boxes):
# audit says so rather than "nothing identifying"
UNREAD_FORMATS = {"psd": "PSD", "jpeg2000": "JPEG 2000"}


def image_findings(im: Image.Image, fmt: str, data: bytes) -> list[Finding]:
    """Everything in the file besides the pixels, as findings (values included)."""
    out: list[Finding] = []
    try:
        out += exif_findings(im.getexif())
    except Exception:  # noqa: BLE001 - a damaged EXIF block is itself worth reporting
        out.append(Finding("other", N_("EXIF block"), N_("present but unreadable")))
    if im.info.get("exif") and not any(f.category != "other" for f in out):
        out.append(Finding("other", N_("EXIF block"), N_("{n} bytes").format(n=len(im.info["exif"])), identifying=False))
    xmp = im.info.get("xmp") or im.info.get("XML:com.adobe.xmp")
    if xmp:
        out += xmp_findings(xmp)
    if im.info.get("icc_profile"):
        out += icc_findings(im.info["icc_profile"])
    if fmt in ("jpeg", "tiff"):
        out += iptc_findings(im)
    comment = im.info.get("comment")
    if comment:
        out.append(Finding("owner", N_("comment"), _text(comment)))
    if fmt == "png":
        for key, value in getattr(im, "text", {}).items():
            if key in ("XML:com.adobe.xmp",):
                continue
            cat = "owner" if key.lower() in ("author", "copyright", "comment", "description", "title") else "other"
            known = PNG_KEYWORDS.get(key.lower())
            # a keyword outside the PNG specification's is free text: named in the value only
            out.append(Finding(cat, N_("PNG text '{keyword}'").format(keyword=known), _text(value)) if known else Finding(cat, PNG_CUSTOM, f"{_text(key, 40)!r}: {_text(value)}"))
    n = image_count(im) if fmt in ("heif", "avif") else 1
    if n > 1:
        out.append(Finding("hidden-picture", N_("more images in the file"), N_("{n} images: the main one is the picture shown; unseen's safe copy leaves the others out").format(n=n)))
    if fmt == "tiff":
        geo = sorted(k for k in GEOTIFF_TAGS if k in getattr(im, "tag_v2", {}))
        if geo:
            out.append(Finding("location", N_("GeoTIFF map position"), ", ".join(GEOTIFF_TAGS[k] for k in geo)))
    if fmt in UNREAD_FORMATS:
        out.append(Finding("other", N_("metadata unseen does not read"), N_("{format} files can carry place, time, owner and device in blocks unseen does not read (ExifTool does); the safe copy carries none of them").format(format=UNREAD_FORMATS[fmt])))
    out += hidden_pictures(im, data)
    lay = containers.layout(fmt, data)
    if lay is not None:
        # the MPF images (reported above) lie after the picture: the trailer is what is more
        listed = sum(int(e.get("Size") or 0) for e in _mp_entries(im)[1:]) if fmt == "jpeg" else 0
        if lay.trailer > listed:
            out.append(Finding("trailer", N_("bytes after the end of the image"), N_("{n} bytes (may hold another picture or data)").format(n=lay.trailer - listed)))
        known = {"APP0:JFIF", "APP1:Exif", "APP1:http://ns.adobe.com/xap/1.0/", "APP2:ICC_PROFILE", "APP13:Photoshop 3.0", "APP2:MPF", "COM", "tEXt", "iTXt", "zTXt", "eXIf", "iCCP", "EXIF", "XMP", "ICCP"}
        others = sorted({b for b in lay.blocks if b not in known and not b.startswith("APP14:Adobe")})
        if others:
            out.append(Finding("other", N_("other metadata blocks"), ", ".join(others)[:160]))
    return out
