"""The length an MP3 (MPEG audio) or ADTS (AAC) frame declares in its own header.

Raw MP3 and ADTS streams have no length in any header, so a file cut between two frames looks
like a shorter recording; but a cut almost always falls inside a frame, and FFmpeg hands that
last frame over short of the length its header states. FFmpeg does not say so; these few lines
of the two formats' specifications (ISO/IEC 11172-3, 13818-3, 13818-7) do.
"""
from __future__ import annotations

# kbit/s for bitrate index 1..14, by (MPEG-1?, layer)
_BITRATES = {
    (True, 1): (32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (True, 2): (32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (True, 3): (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (False, 1): (32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (False, 2): (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    (False, 3): (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
# sample rates by version bits: 3 MPEG-1, 2 MPEG-2, 0 MPEG-2.5
_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


def mpeg_audio(header: bytes) -> int | None:
    """Bytes in the MPEG audio frame starting with ``header``; None if it is not one or is
    free-format (no bitrate, so no stated length)."""
    if len(header) < 4 or header[0] != 0xFF or header[1] & 0xE0 != 0xE0:
        return None
    version, layer_bits = (header[1] >> 3) & 3, (header[1] >> 1) & 3
    bitrate_i, rate_i, pad = header[2] >> 4, (header[2] >> 2) & 3, (header[2] >> 1) & 1
    if version == 1 or layer_bits == 0 or bitrate_i in (0, 15) or rate_i == 3:
        return None
    layer, mpeg1 = 4 - layer_bits, version == 3
    bitrate, rate = _BITRATES[(mpeg1, layer)][bitrate_i - 1] * 1000, _RATES[version][rate_i]
    if layer == 1:
        return (12 * bitrate // rate + pad) * 4
    return (144 if layer == 2 or mpeg1 else 72) * bitrate // rate + pad


def adts(header: bytes) -> int | None:
    """Bytes in the ADTS frame starting with ``header`` (its 13-bit frame length field)."""
    if len(header) < 7 or header[0] != 0xFF or header[1] & 0xF6 != 0xF0:
        return None
    return ((header[3] & 3) << 11) | (header[4] << 3) | (header[5] >> 5)


def cut_short(fmt: str, packet: bytes) -> bool:
    """Whether a raw MP3 or ADTS packet holds less than its header says."""
    declared = mpeg_audio(packet) if fmt == "mp3" else adts(packet) if fmt == "aac" else None
    return declared is not None and len(packet) < declared
