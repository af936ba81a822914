"""What a file gives away: metadata, hidden pictures, trailers and faces."""
from __future__ import annotations

from pathlib import Path

from .errors import UnseenError, one_line
from .i18n import N_
from .progress import Progress
from .media import handler_for
from .media.still import STILL
from .media.metadata import image_findings
from .results import AuditResult
from .types import Detections, Region
from .media.probe import apple_double, probe
from .names import tells_nothing
from .plan import PLAN_SUFFIX


_TAG_CATEGORY = [
    (("location", "iso6709", "gps", "xyz"), "location"),
    (("creation_time", "date", "time"), "time"),
    (("make", "model", "serial", "device", "camera", "lens"), "device"),
    (("encoder", "software", "handler_name", "writing_application", "tool"), "software"),
    (("artist", "author", "title", "comment", "description", "copyright", "album", "composer", "performer", "publisher", "owner", "keywords"), "owner"),
]


def _tag_category(key: str) -> str:
    k = key.lower().replace("com.apple.quicktime.", "")
    for needles, cat in _TAG_CATEGORY:
        if any(n in k for n in needles):
            return cat
    return "other"


# FFmpeg reads MP4, MOV, M4A and 3GP as one "mov" format; the file's brand says which it is
_BRANDS = {"qt": "mov", "M4A": "m4a", "M4B": "m4a", "M4P": "m4a", "M4V": "m4v"}


def _shown_format(fmt: str, tags: dict[str, str]) -> str:
    """The format a person knows the file by: an MP4 is not "mov"."""
    if fmt != "mov":
        return fmt
    brand = tags.get("major_brand", "").strip()
    return _BRANDS.get(brand, "3gp" if brand.startswith("3g") else "mp4" if brand else "mov")


def _silent(path: Path) -> bool:
    """Whether the file's one sound track decodes to exact zeros from start to end, as the
    silence ``--audio keep --voice mute`` writes does (read in blocks: flat memory). A quiet
    voice is not silence (turned up, it is heard again); a track of more than two channels is
    not judged (the reader mixes it down, and a mix can cancel or drop a channel); anything that
    does not decode whole is not silence."""
    import numpy as np

    from .media.audio import SoundReader

    try:
        with SoundReader(path) as reader:
            return reader.source_channels <= 2 and not any(np.any(b) for b in reader.blocks())
    except Exception:  # noqa: BLE001 - any failure to read the sound means it may hold anything
        return False


def audit_video(path: Path, faces: bool = True, progress: bool = False) -> AuditResult:
    """Tags, streams, and faces by the rule clean's read-back checks by (``progress``: a bar on
    stderr over the frames decoded, which takes longer than cleaning)."""
    from .media.video import clock_start, hidden_frames, iter_frames, probe_video
    from .types import Finding

    try:  # the first frame tells the rotation, and so the picture's upright size
        info = probe_video(path)
    except UnseenError:
        info = probe_video(path, decode_first=False)  # a stub without frames still has tags to show
    res = AuditResult(input=str(path), kind="video", format=_shown_format(info.format, info.container_tags), width=info.width, height=info.height)
    for key, value in info.container_tags.items():
        if tells_nothing(key, value):
            continue
        res.findings.append(Finding(_tag_category(key), N_("container tag '{key}'").format(key=key), value[:80]))
    main = info.stream_kinds.index("video") if "video" in info.stream_kinds else -1  # the picture cleaned and searched
    for i, (kind, tags) in enumerate(zip(info.stream_kinds, info.stream_tags)):
        for key, value in tags.items():
            if tells_nothing(key, value):
                continue
            res.findings.append(Finding(_tag_category(key), N_("stream {i} ({kind}) tag '{key}'").format(i=i, kind=kind, key=key), value[:80]))
        if kind == "audio":
            if info.stream_kinds.count("audio") == 1 and _silent(path):  # what --audio keep --voice mute writes
                res.findings.append(Finding("voice", N_("stream {i}: audio track").format(i=i), N_("silent throughout"), identifying=False))
            else:
                res.findings.append(Finding("voice", N_("stream {i}: audio track").format(i=i), N_("voices and background sounds can identify people and places")))
        elif kind == "data":
            res.findings.append(Finding("location", N_("stream {i}: data stream").format(i=i), N_("may hold a GPS track or sensor data (GoPro GPMF, CAMM, dash cams)")))
        elif kind == "video" and i != main:
            # a dual dash cam's or a 360 camera's second picture: clean leaves it out, and this
            # audit searches the first picture only
            res.findings.append(Finding("hidden-picture", N_("stream {i}: another video").format(i=i), N_("a second picture beside the first (another camera or a preview); its faces are not searched")))
        elif kind in ("subtitle", "attachment", "cover-art"):
            res.findings.append(Finding("hidden-picture" if kind == "cover-art" else "other", N_("stream {i}: {kind}").format(i=i, kind=kind), N_("carried beside the picture")))
    late = clock_start(path)
    if late is not None:
        res.findings.append(Finding("time", N_("timestamps start at a clock reading"), N_("{s} s: a time of day or a place in a longer recording (clean writes from zero)").format(s=f"{late:.0f}")))
    hidden = hidden_frames(path)
    if hidden:
        res.findings.append(Finding("hidden-picture", N_("frames hidden by an edit list"), N_("{n} frames a player skips are still in the file (a clip trimmed without re-encoding keeps what was cut)").format(n=hidden)))
    if info.chapters:
        res.findings.append(Finding("other", N_("chapters"), str(info.chapters)))
    if info.rotation:
        res.findings.append(Finding("other", N_("rotation"), N_("{n} degrees (applied to the pixels when cleaned)").format(n=info.rotation), identifying=False))
    if faces:
        from .detect import FaceChecker
        from .detect.runtime import resize_rgb
        from .media.video import frame_rotation, rgb_at
        from .verify.video import VIDEO_CHECK_THRESHOLD, audit_frames, checker_faces, readback_judge

        # the frames and the rule clean's read-back checks every output by
        wanted = audit_frames(info.frames)
        checker = FaceChecker(threads=1)
        seen_any = False
        searched = 0
        stage = Progress("audit", max(wanted) + 1, N_("audit {name}").format(name=path.name), bar=progress)
        frames = iter_frames(path)
        while True:
            try:
                fr = next(frames)
            except StopIteration:
                break
            except UnseenError as e:
                res.findings.append(Finding("other", N_("frames"), N_("decoding stopped: {reason}").format(reason=e), identifying=False))
                break
            seen_any = True
            if fr.index > max(wanted):
                break
            stage.tick()
            if fr.index not in wanted:
                continue
            when = f"{float(fr.pts * fr.time_base):.2f}s" if fr.pts is not None and fr.time_base else f"frame {fr.index}"
            if frame_rotation(fr.frame):  # an input filmed on its side: upright first
                rgb = fr.rgb()
                h, w = rgb.shape[:2]
                small = resize_rgb(rgb, *checker.working_size(w, h))
            else:  # exactly as the read-back shrinks a frame
                w, h = fr.frame.width, fr.frame.height
                small = rgb_at(fr.frame, *checker.working_size(w, h))
            found = checker_faces(checker, readback_judge(), small, w, h, VIDEO_CHECK_THRESHOLD)
            searched += 1
            # the source says when, so people can look for themselves
            res.faces += [Region(r.x0, r.y0, r.x1, r.y1, r.score, f"{r.source} at {when}") for r in found.faces]
            res.uncertain += [Region(r.x0, r.y0, r.x1, r.y1, r.score, f"{r.source} at {when}") for r in found.uncertain]
        stage.close()
        if searched and info.frames and searched < info.frames:
            # said, so that "nothing found" is not read as every frame looked at: a face shown on a
            # few frames between these is not seen here (clean looks at every frame)
            res.findings.append(Finding("other", N_("frames searched for faces"), N_("{n} of {total}, spread over the video (clean looks at every frame)").format(n=searched, total=info.frames), identifying=False))
        if not seen_any:
            res.findings.append(Finding("other", N_("frames"), N_("none decodable: faces not searched"), identifying=False))
    return res


def audit_audio(path: Path) -> AuditResult:
    from .media.audio import SoundReader, probe_tags
    from .types import Finding
    from .voice import voiced_share_stream

    res = AuditResult(input=str(path), kind="audio")
    fmt, tags, extra = probe_tags(path)  # tags and pictures are shown even for a file with no sound
    res.format = _shown_format(fmt, tags)
    for key, value in tags.items():
        if tells_nothing(key, value):
            continue
        res.findings.append(Finding(_tag_category(key), N_("tag '{key}'").format(key=key), value[:80]))
    for kind in extra:
        res.findings.append(Finding("hidden-picture" if kind in ("cover-art", "video") else "other", N_("{kind} stream").format(kind=kind), N_("carried beside the sound")))
    try:  # in blocks, so an hour-long recording is audited in flat memory
        with SoundReader(path, salvage=True) as reader:
            share, frames = voiced_share_stream(reader.blocks(), reader.rate)
            seconds = frames / reader.rate
            if reader.damage:
                res.findings.append(Finding("other", N_("sound"), reader.lost.replace("damaged input salvaged: kept", "damaged: only"), identifying=False))
    except UnseenError as e:
        res.findings.append(Finding("other", N_("sound"), N_("not decodable ({reason})").format(reason=e), identifying=False))
        return res
    if share > 0.05:
        res.findings.append(Finding("voice", N_("speech"), N_("voiced {share} of {seconds}s: a voice can identify its speaker, a disguised one too (muting removes it)").format(share=f"{share:.0%}", seconds=f"{seconds:.1f}")))
    else:
        res.findings.append(Finding("voice", N_("speech"), N_("no voice heard in {seconds}s").format(seconds=f"{seconds:.1f}"), identifying=False))
    return res


def audit_file(path: Path, faces: bool = True, progress: bool = False) -> AuditResult:
    if path.name.endswith(PLAN_SUFFIX):
        return audit_plan(path)
    if apple_double(path):
        return audit_apple_double(path)
    p = probe(path)
    kind = handler_for(p).kind_of(path, p)
    if kind == "video":
        return audit_video(path, faces, progress)
    return audit_audio(path) if kind == "audio" else audit_image(path, faces)


def audit_plan(path: Path) -> AuditResult:
    """A plan beside the files to share gives away what the safe copies hide: where each face
    was, what a person switched off, and the original's SHA-256 (which ties the copy to it)."""
    from .types import Finding

    res = AuditResult(input=str(path), kind="plan", format="json")
    res.findings.append(Finding("other", N_("unseen plan"), N_("where the faces and masks are in the original, and its SHA-256 fingerprint: keep it apart from what you share")))
    return res


def audit_apple_double(path: Path) -> AuditResult:
    """A Mac's AppleDouble file (``._NAME``) travels with a folder or a zip made on a Mac, and
    tells what the file beside it came from."""
    from .types import Finding

    res = AuditResult(input=str(path), kind="metadata file", format="AppleDouble")
    res.findings.append(Finding("other", N_("a Mac's record of another file"), N_("can tell where that file was downloaded from, its tags and comments: delete it before sharing")))
    return res


def audit_image(path: Path, faces: bool = True) -> AuditResult:
    res = AuditResult(input=str(path))
    p = probe(path)
    res.kind, res.format = p.kind, p.format
    raw = path.read_bytes()
    with STILL.open(path, p.format) as im:
        res.width, res.height = im.size
        res.findings = image_findings(im, p.format, raw)
    if faces:
        from .detect import one_per_face, visible_faces
        from .media.still import views

        try:
            pic = STILL.decode(path, p.format)
        except UnseenError as e:
            # a photo cut short keeps its tags at the start: what they give away is still said,
            # beside why its picture could not be searched (exit 1 as for any unreadable file)
            res.error = one_line(e)
            return res
        res.width, res.height = pic.width, pic.height
        # the rule clean verifies every output by, on what a person can be shown of each frame
        for frame in pic.frames:
            faces, uncertain = [], []
            for view in views(frame):
                found = visible_faces(view.rgb)
                faces += view.back(found.faces)
                uncertain += view.back(found.uncertain)
            res.faces += list(one_per_face(Detections(faces)))
            res.uncertain += list(one_per_face(Detections(uncertain)))
    return res
