"""Which ExifTool tags identify a place, time, person, device or hidden picture (metrics.md §4)."""
from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

IGNORED_GROUPS = {"System", "File", "Composite", "ExifTool", "SourceFile"}

_PATTERNS = {
    "where": r"GPS|Location|City|Country|State$|Province|Sublocation|ISO6709|Coordinates|Latitude|Longitude|Altitude",
    "when": r"Date|Time(?!Scale|Code|Offset$|ToSample)|Timestamp",
    "who": r"Artist|Author|Owner|Copyright|Comment|Rights|By-?line|Credit|Writer|Creator(?!Tool)|Contact|PersonInImage|RegionName|Region.*Name|(?<!SampleGroup)Description|Title|Caption|Keywords|Publisher|Album|Performer|Composer",
    "device": r"Make$|Model|Serial|UniqueID|Unique.*ID|DocumentID|InstanceID|MakerNote|DeviceManufacturer|DeviceModel|ProfileCreator|Software|Encoder|CreatorTool|HandlerVendor|Firmware|Lens(Make|Model|Serial|ID)|BodySerial|InternalSerial|CameraID|OwnerName|HostComputer|WriterName|ReaderName|Vendor",
    "picture": r"Thumbnail(Image|Offset|Length)|Preview(Image|PNG|TIFF)|JpgFromRaw|CoverArt|^Picture$|OtherImage|MPImage|PreviewJPG|EmbeddedImage|DepthMap|GainMap|ImageData",
}
_RX = {k: re.compile(v, re.I) for k, v in _PATTERNS.items()}
_ZERO_TIME = re.compile(r"^[0:\s.\-TZ+]*$")
# Values every FFmpeg-written MP4 carries, the same for every file and device: the movie-level
# iTunes metadata handler must name vendor 'appl', and track handlers get generic names.
# Likewise the Vorbis-comment vendor field, which FLAC and Ogg require, reads "ffmpeg" (no
# version) when FFmpeg writes with +bitexact; and MPEG's one-bit copyright flag when unset.
_CONSTANT = {
    ("QuickTime:HandlerVendorID", "appl"),
    ("QuickTime:HandlerVendorID", "Apple"),
    ("Vorbis:Vendor", "ffmpeg"),
    ("MPEG:CopyrightFlag", "0"),
    ("MPEG:CopyrightFlag", "False"),
}
_GENERIC_HANDLER = re.compile(r"^(VideoHandler|SoundHandler|DataHandler|)$")
# group names that hold maker notes or vendor blocks; any tag in them identifies the device
_VENDOR_GROUP = re.compile(r"MakerNotes|^(Canon|Nikon|Sony|Olympus|Panasonic|Pentax|Fujifilm|Samsung|Apple|Casio|Kodak|Minolta|Ricoh|Sanyo|Sigma|Leica|DJI|GoPro|Google|FLIR|Reconyx|Qualcomm|Huawei|Xiaomi|Motorola|Nintendo|Microsoft|JVC|Phase|Red|Vivo|Oppo|Scalado|Parrot)", re.I)


def exiftool_tags(path: Path) -> dict:
    out = subprocess.run(["exiftool", "-j", "-a", "-G1", "-ee", "-u", "-s", "-n", str(path)], capture_output=True, text=True)
    try:
        return json.loads(out.stdout)[0]
    except (ValueError, IndexError):
        return {}


def identifying(tags: dict) -> list[str]:
    """Names of identifying tags (group:name) in one ExifTool JSON record."""
    found = []
    for key, value in tags.items():
        group, _, name = key.rpartition(":")
        if key in ("SourceFile",):
            continue
        if group == "ExifTool":
            if name in ("Warning", "Error") and re.search(r"trailer|after|end of", str(value), re.I):
                found.append(key)
            continue
        if group in IGNORED_GROUPS or (key, str(value)) in _CONSTANT:
            continue
        if name == "HandlerDescription":
            if not _GENERIC_HANDLER.match(str(value)):
                found.append(key)  # handler names can carry the recording app or device
            continue
        if _VENDOR_GROUP.search(group):
            found.append(key)
            continue
        for kind, rx in _RX.items():
            if rx.search(name):
                if kind == "when" and _ZERO_TIME.match(str(value)):
                    break
                found.append(key)
                break
    return found
