"""Which metadata names a clean report may repeat.

Tag names are free text: a Vorbis comment, an ID3 TXXX frame, a PNG text keyword or an MP4 key
can be called ``JANE_DOE_HOME`` by whoever made the file, and a report that lists the names it
dropped would carry that text on. Reports therefore name only tags from a fixed vocabulary (the
keys FFmpeg, the PNG specification and Apple's QuickTime keys define) and count the rest.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

# FFmpeg's generic tag keys (what it maps ID3v2 frames, Vorbis comments, MP4 atoms, Matroska and
# ASF tags to) and the plain keys those formats use most
MEDIA_TAGS = frozenset("""
album album_artist albumartist artist author comment composer copyright creation_time date
description disc discnumber encoded_by encoder filename genre grouping keywords language lyrics
performer publisher rating show synopsis title track tracknumber totaltracks totaldiscs year
episode_id episode_sort network season_number service_name service_provider media_type
compilation gapless_playback hd_video podcast category purl sort_name sort_album sort_artist
sort_album_artist sort_composer isrc license organization contact location version label
major_brand minor_version compatible_brands handler_name vendor_id timecode rotate
duration bps number_of_frames number_of_bytes _statistics_writing_app
_statistics_writing_date_utc _statistics_tags wm/encodingsettings wm/tooltitle wm/toolversion
software make model creation_date iso6709 tsse tcop tenc tlan tpub tdrc tdrl tyer tdat
""".split())
# Apple's keys, reported with their prefix ("com.apple.quicktime.location.iso6709")
QUICKTIME_KEYS = frozenset("""
location.iso6709 location.name location.body location.note location.role location.date
location.accuracy.horizontal make model software creationdate title author description comment
artist keywords displayname content.identifier live-photo.auto live-photo.vitality-score
live-photo.vitality-scoring-version full-frame-rate-playback-intent camera.identifier
camera.lens_model camera.focal_length.35mm_equivalent information copyright album genre
""".split())
QUICKTIME = "com.apple.quicktime."
# the keywords the PNG specification defines for tEXt/zTXt/iTXt chunks
PNG_KEYWORDS = {k.lower(): k for k in ("Title", "Author", "Description", "Copyright", "Creation Time", "Software", "Disclaimer", "Warning", "Source", "Comment")}
PNG_CUSTOM = "PNG custom text field"
_LANGUAGE = re.compile(r"-[a-z]{3}$")  # MP4 and Matroska tags may end in a language: title-eng
_COUNTED = re.compile(r"^(\d+) custom text fields?$")


def _known(key: str) -> str | None:
    k = _LANGUAGE.sub("", key.strip().lower())
    if k.startswith(QUICKTIME):
        return k if k[len(QUICKTIME):] in QUICKTIME_KEYS else None
    return k if k in MEDIA_TAGS else None


def custom_fields(n: int) -> str:
    return f"{n} custom text field{'s' if n != 1 else ''}"


def tag_names(keys: Iterable[str]) -> list[str]:
    """Tag keys (``stream:`` prefixed for a stream's tags) as a report may show them: known keys
    by their lower-case name, every other key only counted."""
    names: set[str] = set()
    custom = 0
    for key in keys:
        stream = key.startswith("stream:")
        known = _known(key[len("stream:"):] if stream else key)
        if known is None:
            custom += 1
        else:
            names.add(("stream:" if stream else "") + known)
    return sorted(names) + ([custom_fields(custom)] if custom else [])


def finding_names(names: Iterable[str]) -> list[str]:
    """Names of image findings (fixed labels) with PNG's custom text fields counted."""
    listed = list(names)
    custom = listed.count(PNG_CUSTOM)
    return sorted({n for n in listed if n != PNG_CUSTOM}) + ([custom_fields(custom)] if custom else [])


def item_count(names: Iterable[str]) -> int:
    """How many metadata items a report's names stand for ("3 custom text fields" is three)."""
    total = 0
    for n in names:
        m = _COUNTED.match(n)
        total += int(m.group(1)) if m else 1
    return total


# What FFmpeg writes into every MP4 or M4A (unseen's own outputs too): these tell nothing, so
# audit does not list them and clean does not count them among what it dropped (both say the same)
_CONSTANT_TAGS = frozenset({"major_brand", "minor_version", "compatible_brands", "vendor_id", "language"})
_CONSTANT_HANDLERS = frozenset({"VideoHandler", "SoundHandler", ""})


def tells_nothing(key: str, value: str) -> bool:
    """A container's or stream's tag (``key`` as "name", "stream:name" or "stream 0:name") that
    every file FFmpeg writes carries."""
    name = key.rsplit(":", 1)[-1]
    return name in _CONSTANT_TAGS or (name == "handler_name" and value in _CONSTANT_HANDLERS)
