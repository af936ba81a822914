"""The sound pipeline: decode -> voice (mute | disguise | keep) -> encode fresh -> verify -> publish."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .errors import OutputError, VerificationFailed
from .formats.audio import decode_audio, encode_audio, target_for
from .model import CleanResult, Verification
from .names import tag_names
from .output import output_path, publish, staged
from .verify import strings_in_file
from .voice import disguise

VOICES = ("mute", "disguise", "keep")
KEEP_WARNING = "voices are kept as recorded: a voice print identifies the speaker"
DISGUISE_NOTE = "voice disguised; disguise is not removal (only --voice mute hides a voice completely)"
_ALLOWED_TAGS = {"major_brand", "minor_version", "compatible_brands", "stream:language", "stream:handler_name", "stream:vendor_id"}
_ENCODER_STRINGS = (b"Lavf", b"Lavc", b"LAME", b"libopus", b"Xiph", b"libVorbis", b"encoder=")


def verify_audio(path: Path, n_in: int, rate_in: int) -> list[str]:
    problems = []
    for needle in strings_in_file(path, _ENCODER_STRINGS):
        problems.append(f"encoder string {needle.decode()!r} in output")
    with open(path, "rb") as fh:
        head = fh.read(3)
        fh.seek(max(0, path.stat().st_size - 128))
        tail = fh.read()
    if head == b"ID3" or (len(tail) == 128 and tail[:3] == b"TAG"):
        problems.append("ID3 tag in output")
    sound = decode_audio(path)
    extra = {k for k in sound.tags if k not in _ALLOWED_TAGS and not (k == "stream:handler_name" and sound.tags[k] == "SoundHandler")}
    if extra:
        problems.append(f"tags in output: {sorted(extra)}")
    if sound.extra_streams:
        problems.append(f"extra streams in output: {sound.extra_streams}")
    seconds_in, seconds_out = n_in / rate_in, sound.samples.shape[1] / sound.rate
    if abs(seconds_in - seconds_out) > 0.1 + 0.01 * seconds_in:
        problems.append(f"output lasts {seconds_out:.2f}s, input {seconds_in:.2f}s")
    return problems


def clean_audio(src: Path, opts) -> CleanResult:  # type: ignore[no-untyped-def]
    from .pipeline import sha256_file

    res = CleanResult(input=str(src), kind="audio")
    res.input_sha256 = sha256_file(src)
    sound = decode_audio(src)
    target = target_for(sound)
    res.format, res.output_format = sound.format, target.ext.lstrip(".")
    res.metadata_found = tag_names(sound.tags) + sorted({f"{k} stream" for k in sound.extra_streams})
    final = output_path(src, opts.out_dir, target.ext, (target.ext,))
    if final.exists() and not opts.overwrite:
        raise OutputError(f"output exists: {final} (use --overwrite)")
    voice = opts.voice or "disguise"
    if voice == "mute":
        samples = np.zeros_like(sound.samples)
    elif voice == "disguise":
        # one set of parameters per file, shared by its channels so stereo stays coherent
        from .voice import Disguise

        params = Disguise.random()
        samples = np.stack([disguise(ch, sound.rate, params) for ch in sound.samples])
        res.warnings.append(DISGUISE_NOTE)
    else:
        samples = sound.samples
        res.warnings.append(KEEP_WARNING)
    with staged(final) as tmp:
        try:
            encode_audio(sound, samples, tmp, target)
        except Exception as e:  # noqa: BLE001 - any encoder failure means no output
            raise OutputError(f"cannot encode {target.ext} output: {' '.join(str(e).split())}") from None
        problems = verify_audio(tmp, sound.samples.shape[1], sound.rate)
        if problems:
            raise VerificationFailed("verification failed: " + "; ".join(problems[:3]))
        publish(tmp, final, opts.overwrite)
    res.output = str(final)
    res.verification = Verification(True, {"tags": "none", "streams": "one audio stream", "length": "equal to the input", "voice": voice}, 1)
    return res
