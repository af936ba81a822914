"""The sound pipeline: decode -> voice (mute | disguise | keep) -> encode fresh -> verify -> publish."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import numpy as np

from ..i18n import N_
from ..errors import CorruptInput, OutputError, UnsupportedFormat, VerificationFailed
from ..media.audio import AudioTarget, SoundReader, SoundWriter, target_for, target_of
from ..results import CleanResult, Verification
from ..names import tag_names, tells_nothing
from ..output import output_path, publish, staged
from ..verify.still import strings_in_file
from ..voice import Disguise, disguise_stream
from ..plan import InputInfo, Plan
from .common import Options

VOICES = ("mute", "disguise", "keep")
KEEP_WARNING = N_("voices are kept as recorded: a voice print identifies the speaker")
DISGUISE_NOTE = N_("voice disguised; disguise is not removal (only --voice mute hides a voice completely)")
_ALLOWED_TAGS = {"major_brand", "minor_version", "compatible_brands", "stream:language", "stream:handler_name", "stream:vendor_id"}
# what encoders write of themselves, in forms too long to turn up in sound data by chance
_ENCODER_STRINGS = (rb"Lavf\d+\.\d+\.\d+", rb"Lavc\d+\.\d+\.\d+", rb"LAME\d+\.\d+", rb"libopus", rb"Xiph\.Org", rb"libVorbis", rb"encoder=")


def verify_audio(path: Path, n_in: int, rate_in: int, frame_size: int = 0) -> list[str]:
    """Read the written file back, block by block: no encoder strings, tags or other streams,
    whole (no damage of its own), and as long as the input that was kept, within three of the
    output codec's frames (priming and padding) and 50 ms."""
    problems = []
    for text in strings_in_file(path, _ENCODER_STRINGS):
        problems.append(N_("encoder string {text} in output").format(text=repr(text)))
    with open(path, "rb") as fh:
        head = fh.read(3)
        fh.seek(max(0, path.stat().st_size - 128))
        tail = fh.read()
    if head == b"ID3" or (len(tail) == 128 and tail[:3] == b"TAG"):
        problems.append(N_("ID3 tag in output"))
    try:
        with SoundReader(path) as out:
            extra = {k for k in out.tags if k not in _ALLOWED_TAGS and not (k == "stream:handler_name" and out.tags[k] == "SoundHandler")}
            if extra:
                problems.append(N_("tags in output: {tags}").format(tags=sorted(extra)))
            if out.extra_streams:
                problems.append(N_("extra streams in output: {streams}").format(streams=out.extra_streams))
            for _ in out.blocks():
                pass
            seconds_out, slack = out.frames / out.rate, (3 * max(frame_size, 1152)) / out.rate + 0.05
    except CorruptInput as e:
        return problems + [f"output does not read back whole: {e}"]
    seconds_in = n_in / rate_in
    if abs(seconds_in - seconds_out) > slack:
        problems.append(N_("output lasts {seconds}s, input {expected}s").format(seconds=f"{seconds_out:.2f}", expected=f"{seconds_in:.2f}"))
    return problems


def treated(reader: SoundReader, voice: str, params: Disguise | None = None) -> Iterator[np.ndarray]:
    """The decoded blocks muted, disguised (one set of parameters per file: ``params``, or drawn
    here) or as recorded."""
    if voice == "mute":
        return (np.zeros_like(b) for b in reader.blocks())
    if voice == "disguise":
        return disguise_stream(reader.blocks(), reader.rate, params or Disguise.random())
    return reader.blocks()


def output_extension(src: Path) -> tuple[str, bool]:
    """The output's extension for a sound file (its codec's family), and whether it is the
    input's own; reads the container's header only."""
    from ..media.video import open_container

    with open_container(src) as c:
        streams = [s for s in c.streams if s.type == "audio"]
        if not streams:
            raise UnsupportedFormat(N_("no audio or video stream"))
        target = target_of(streams[0].codec_context.name, c.format.name.split(",")[0])
    return target.ext, src.suffix.lower() == target.ext


def analyse(src: Path, sha256: str, fmt: str) -> Plan:
    """A sound has nothing to mask: its plan names the file (the voice treatment is an option)."""
    return Plan(InputInfo(sha256, "audio", fmt))


def render(src: Path, plan: Plan, opts: Options) -> CleanResult:
    """Decode, treat the voice, encode and verify in blocks: memory is flat in the length."""
    res = CleanResult(input=str(src), kind="audio", input_sha256=plan.input.sha256, plan=plan)
    with SoundReader(src, salvage=opts.salvage) as reader:
        target = target_for(reader)
        res.format, res.output_format = reader.format, target.ext.lstrip(".")
        res.metadata_found = tag_names(k for k, v in reader.tags.items() if not tells_nothing(k, v)) + sorted({f"{k} stream" for k in reader.extra_streams})
        final = output_path(src, opts.out_dir, target.ext, (target.ext,), opts.output)
        if final.exists() and not opts.overwrite:
            raise OutputError(N_("output exists: {path} (use --overwrite)").format(path=final))
        voice = opts.voice or "disguise"
        res.warnings.append(DISGUISE_NOTE if voice == "disguise" else KEEP_WARNING if voice == "keep" else "")
        with staged(final) as tmp:
            frame_size = _encode(treated(reader, voice), tmp, target, reader.rate, reader.channels)
            if reader.damage:
                res.warnings.insert(0, reader.lost)
            problems = verify_audio(tmp, reader.frames, reader.rate, frame_size)
            if problems:
                raise VerificationFailed(N_("verification failed: {problems}").format(problems="; ".join(problems[:3])))
            publish(tmp, final, opts.overwrite)
    res.warnings = [w for w in res.warnings if w]
    res.output = str(final)
    res.verification = Verification(True, {"tags": "none", "streams": "one audio stream", "length": "equal to the input" + (" kept" if reader.damage else ""), "voice": voice}, 1)
    return res


def _encode(blocks: Iterator[np.ndarray], tmp: Path, target: AudioTarget, rate: int, channels: int) -> int:
    """Write the blocks as they come; returns the encoder's frame size. A failure of the input
    (damage) passes as it is; a failure of the encoder or the disk becomes an OutputError."""
    try:
        writer = SoundWriter(tmp, target, rate, channels)
    except Exception as e:  # noqa: BLE001 - any encoder failure means no output
        raise OutputError(N_("cannot encode {format} output: {reason}").format(format=target.ext, reason=_why(e))) from None
    try:
        for block in blocks:
            try:
                writer.write(block)
            except Exception as e:  # noqa: BLE001
                raise OutputError(N_("cannot write {format} output: {reason}").format(format=target.ext, reason=_why(e))) from None
    except BaseException:
        writer.abort()
        raise
    try:
        writer.close()
    except Exception as e:  # noqa: BLE001
        raise OutputError(N_("cannot write {format} output: {reason}").format(format=target.ext, reason=_why(e))) from None
    return writer.frame_size


def _why(e: BaseException) -> str:
    """The system's reason for a failed write ("No space left on device") without the
    temporary file's name; FFmpeg's message otherwise."""
    if isinstance(e, OSError) and e.strerror:
        return e.strerror
    return " ".join(str(e).split())
