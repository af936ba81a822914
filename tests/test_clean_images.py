"""Cleaning still images: faces masked, every metadata kind gone, right formats, verified."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import piexif
import pytest
from PIL import Image

import unseen
from unseen.cli import main

from conftest import FACE_BOX, HEAD_BOX, covered, covered_oval, exiftool, needs_exiftool, sha, write_format

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from leaks import identifying  # noqa: E402


def _out(res):
    assert res.status == "ok", res.error
    return Path(res.output)


def test_face_masked_and_metadata_gone(tagged_jpeg: Path, tmp_path: Path) -> None:
    before = sha(tagged_jpeg)
    [res] = unseen.clean([tagged_jpeg])
    out = _out(res)
    assert out.name == "photo.unseen.jpg" and out.parent == tagged_jpeg.parent
    assert sha(tagged_jpeg) == before, "input modified"
    rgb = np.asarray(Image.open(out).convert("RGB"))
    assert covered(rgb, FACE_BOX) > 0.98
    # a reader other than the writer: piexif finds no EXIF at all
    loaded = piexif.load(str(out))
    assert not any(loaded[k] for k in ("0th", "Exif", "GPS", "Interop", "1st")) and loaded["thumbnail"] is None
    raw = out.read_bytes()
    for needle in (b"Exif", b"xmpmeta", b"ICC_PROFILE", b"TestMaker", b"SN123456789", b"Kim", b"SECRET-TRAILER", b"Yanji"):
        assert needle not in raw
    assert raw.endswith(b"\xff\xd9")
    assert res.verification and res.verification.passed


@needs_exiftool
def test_exiftool_finds_nothing_identifying(tagged_jpeg: Path) -> None:
    assert len(identifying(exiftool(tagged_jpeg))) >= 10  # the input really is full of leaks
    [res] = unseen.clean([tagged_jpeg])
    assert identifying(exiftool(_out(res))) == []


FORMATS = [
    ("PNG", ".png", {}),
    ("WEBP", ".webp", {"quality": 95}),
    ("TIFF", ".tif", {}),
    ("BMP", ".bmp", {}),
    ("HEIF", ".heic", {"quality": 90}),
    ("AVIF", ".avif", {"quality": 90}),
    ("JPEG", ".jpg", {"quality": 95}),
]


@pytest.mark.parametrize("fmt,ext,kw", FORMATS, ids=[f[0] for f in FORMATS])
def test_every_format_masked_and_rebuilt(fmt: str, ext: str, kw: dict, astronaut: np.ndarray, tmp_path: Path) -> None:
    from conftest import XMP, gps_exif

    src = tmp_path / f"in{ext}"
    extra = dict(kw)
    if fmt in ("PNG", "WEBP", "TIFF", "JPEG", "HEIF", "AVIF"):
        extra["exif"] = gps_exif()
    if fmt in ("PNG", "WEBP", "JPEG", "HEIF", "AVIF"):
        extra["xmp"] = XMP
    write_format(astronaut, src, fmt, **extra)
    (tmp_path / "out").mkdir()
    [res] = unseen.clean([src], tmp_path / "out")
    out = _out(res)
    assert out.suffix == ext and res.output_format == res.format
    if fmt == "HEIF":
        from pillow_heif import register_heif_opener

        register_heif_opener()
    with Image.open(out) as im:
        assert im.size == (512, 512)
        assert not im.info.get("exif") and not im.info.get("xmp") and not im.info.get("icc_profile")
        rgb = np.asarray(im.convert("RGB"))
    assert covered(rgb, FACE_BOX, tol=12) > 0.97
    assert covered_oval(rgb, HEAD_BOX, tol=12) > 0.97  # hair and ears too, not just the face
    raw = out.read_bytes()
    assert b"TestMaker" not in raw and b"Yanji" not in raw


@needs_exiftool
@pytest.mark.parametrize("fmt,ext,kw", FORMATS, ids=[f[0] for f in FORMATS])
def test_every_format_exiftool_clean(fmt: str, ext: str, kw: dict, astronaut: np.ndarray, tmp_path: Path) -> None:
    from conftest import XMP, gps_exif

    src = tmp_path / f"in{ext}"
    extra = dict(kw)
    if fmt != "BMP":
        extra["exif"] = gps_exif()
    if fmt in ("PNG", "WEBP", "JPEG", "HEIF", "AVIF"):
        extra["xmp"] = XMP
    write_format(astronaut, src, fmt, **extra)
    [res] = unseen.clean([src], faces=False)
    assert identifying(exiftool(_out(res))) == []


def test_animated_gif_every_frame(astronaut: np.ndarray, tmp_path: Path) -> None:
    frames = []
    for dx in (0, 20, 40):
        canvas = np.full((512, 600, 3), 60, np.uint8)
        canvas[:, dx : dx + 512] = astronaut
        frames.append(Image.fromarray(canvas))
    src = tmp_path / "anim.gif"
    frames[0].save(src, save_all=True, append_images=frames[1:], duration=[100, 120, 140], loop=0, comment=b"Kim was here")
    [res] = unseen.clean([src])
    out = _out(res)
    with Image.open(out) as im:
        assert im.n_frames == 3
        assert "comment" not in im.info
        for i, dx in enumerate((0, 20, 40)):
            im.seek(i)
            rgb = np.asarray(im.convert("RGB"))
            x0, y0, x1, y1 = FACE_BOX
            assert covered(rgb, (x0 + dx, y0, x1 + dx, y1), tol=10) > 0.97, f"frame {i}"
    assert b"Kim" not in out.read_bytes()


@pytest.mark.parametrize("fmt", ["JPEG", "TIFF"])
def test_orientation_applied_to_pixels(fmt: str, astronaut: np.ndarray, tmp_path: Path) -> None:
    """Turned upright once: Pillow 13 turns a TIFF upright as it loads it, and unseen turned it
    again (upside down, mirrored or sideways)."""
    from conftest import gps_exif

    # stored sideways with orientation 6: viewers rotate it 90 degrees clockwise
    stored = np.ascontiguousarray(np.rot90(astronaut, 1))
    src = tmp_path / ("rot.jpg" if fmt == "JPEG" else "rot.tif")
    if fmt == "JPEG":
        Image.fromarray(stored).save(src, quality=95, exif=gps_exif(orientation=6))
    else:
        exif = Image.Exif()
        exif[0x0112] = 6
        Image.fromarray(stored).save(src, exif=exif)
    [res] = unseen.clean([src])
    rgb = np.asarray(Image.open(_out(res)).convert("RGB"))
    assert rgb.shape == astronaut.shape
    assert covered(rgb, FACE_BOX) > 0.98
    # the rest of the picture is upright: compare a face-free area with the original
    assert np.abs(rgb[400:500, 0:100].astype(int) - astronaut[400:500, 0:100]).mean() < 6


def test_alpha_image_has_no_transparent_hole(astronaut: np.ndarray, tmp_path: Path) -> None:
    rgba = np.dstack([astronaut, np.full(astronaut.shape[:2], 255, np.uint8)])
    rgba[100:170, 190:270, 3] = 0  # a transparent window over the eyes
    src = tmp_path / "alpha.png"
    Image.fromarray(rgba, "RGBA").save(src)
    [res] = unseen.clean([src])
    out = np.asarray(Image.open(_out(res)))
    assert out.shape[2] == 4
    x0, y0, x1, y1 = FACE_BOX
    assert out[y0:y1, x0:x1, 3].min() == 255
    assert covered(out, FACE_BOX, tol=0) == 1.0


@pytest.mark.parametrize("scale", [1, 4000])
def test_a_32_bit_integer_tiff_keeps_its_picture(scale: int, astronaut: np.ndarray, tmp_path: Path) -> None:
    """A 32-bit integer page (Pillow's mode I) with values above 65535 was scaled as 16-bit and
    wrapped round into noise; it is shown over its own range (8-bit values as they are)."""
    grey = np.asarray(Image.fromarray(astronaut).convert("L").resize((128, 128)), np.int32)
    src = tmp_path / "deep.tif"
    Image.fromarray(grey * scale).save(src)
    with Image.open(src) as im:
        assert im.mode == "I"
    [res] = unseen.clean([src], tmp_path / "out", faces=False)
    assert res.status == "ok", res.error
    with Image.open(res.output) as out:
        got = np.asarray(out.convert("L"), np.int32)
    assert np.abs(got - grey * 255 // (grey.max() if scale > 1 else 255)).max() <= 1


def test_crowd_of_small_faces(crowd, tmp_path: Path) -> None:
    rgb, boxes = crowd
    src = tmp_path / "crowd.png"
    Image.fromarray(rgb).save(src)
    [res] = unseen.clean([src])
    out = np.asarray(Image.open(_out(res)).convert("RGB"))
    for b in boxes:
        assert covered(out, b, tol=0) > 0.9, f"face {b} ({b[3] - b[1]} px tall) not covered"


def test_large_image_is_tiled(astronaut: np.ndarray, tmp_path: Path) -> None:
    """A 3000x2000 photo with one small face far from the origin."""
    big = np.full((2000, 3000, 3), 120, np.uint8)
    head = np.asarray(Image.fromarray(astronaut[40:260, 120:340]).resize((66, 66)))
    big[1700:1766, 2700:2766] = head
    src = tmp_path / "big.png"
    Image.fromarray(big).save(src)
    [res] = unseen.clean([src])
    out = np.asarray(Image.open(_out(res)).convert("RGB"))
    k = 66 / 220
    box = (int(2700 + 60 * k), int(1700 + 40 * k), int(2700 + 160 * k), int(1700 + 150 * k))
    assert covered(out, box, tol=0) > 0.9


@pytest.mark.parametrize("fill", ["noise", "blur", "pixelate"])
@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF"])
def test_other_fills(fill: str, fmt: str, astronaut: np.ndarray, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Every fill survives every kind of codec: lossless, lossy (noise is drawn a block at a time,
    or JPEG's compression left nothing the read-back check recognised as the noise drawn) and a
    palette (GIF: noise in greys, which its 256 colours keep)."""
    ext = {"PNG": "png", "JPEG": "jpg", "GIF": "gif"}[fmt]
    src = write_format(astronaut, tmp_path / f"a.{ext}", fmt)
    assert main(["clean", str(src), "--fill", fill]) == 0
    err = capsys.readouterr().err
    assert ("recognise" in err) == (fill in ("blur", "pixelate"))
    out_path = tmp_path / f"a.unseen.{ext}"
    out = np.asarray(Image.open(out_path).convert("RGB")).astype(int)
    x0, y0, x1, y1 = FACE_BOX
    patch, orig = out[y0:y1, x0:x1], astronaut[y0:y1, x0:x1].astype(int)
    assert np.abs(patch - orig).mean() > 10
    if fill == "noise":
        # noise is unrelated to the original pixels (on JPEG one value an 8-px block: about 160
        # blocks here, so chance correlation reaches further than per pixel)
        assert abs(np.corrcoef(patch.ravel(), orig.ravel())[0, 1]) < (0.3 if fmt == "JPEG" else 0.05)
        if fmt == "GIF":  # greys, within the palette's rounding
            spread = patch.max(axis=-1) - patch.min(axis=-1)
            assert (spread <= 16).mean() > 0.95
    # audit finds no face in what clean released
    assert main(["audit", str(out_path)]) == 0


def test_noise_that_reads_as_a_face_is_drawn_again(tmp_path: Path) -> None:
    """``clean`` released a noise-masked JPEG as verified that ``audit`` then flagged, about one
    time in two on two astronauts on a table (the 8-px blocks of noise, with her hair around
    them, read as a face): the masks are now told apart by the rule audit uses, and noise that
    still reads as one is drawn afresh. Five runs, each audited."""
    from skimage import data

    table = Image.fromarray(data.coffee()).resize((900, 600))
    for i, size in enumerate((200, 256)):
        table.paste(Image.fromarray(data.astronaut()).resize((size, size)), (100 + 350 * i, 150))
    src = tmp_path / "two.jpg"
    table.save(src, quality=92)
    for k in range(5):
        out = tmp_path / str(k)
        [res] = unseen.clean([src], out, fill="noise")
        assert res.status == "ok", res.error
        assert main(["audit", str(res.output)]) == 0


def test_a_fill_that_still_shows_a_face_fails_closed() -> None:
    """Noise is drawn afresh; a blur or mosaic would show the face again, so it fails."""
    from unseen.errors import VerificationFailed
    from unseen.mask import MaskStyle
    from unseen.pipeline.still import _redraw
    from unseen.types import Region

    seen = [Region(10, 10, 50, 60)]
    assert _redraw(MaskStyle("noise", (0, 0, 0), 8), [], 7) == 7
    assert _redraw(MaskStyle("noise", (0, 0, 0), 8), seen, 7) != 7
    for fill in ("blur", "pixelate"):
        with pytest.raises(VerificationFailed, match="--fill solid"):
            _redraw(MaskStyle(fill, (0, 0, 0), 8), seen, 7)


@pytest.mark.parametrize("fmt,ext", [("PNG", "png"), ("WEBP", "webp"), ("GIF", "gif")])
def test_an_animation_with_a_held_frame_or_a_blink_is_cleaned(fmt: str, ext: str, astronaut: np.ndarray, tmp_path: Path) -> None:
    """The writers merge consecutive identical frames: a held frame, or a face that blinks (the
    frames differ only where the mask goes), failed "output has 2 frames, expected 3"."""
    blink = astronaut.copy()
    blink[120:140, 200:260] = 20  # eyes shut: inside the face's mask
    frames = [Image.fromarray(f) for f in (astronaut, astronaut, blink)]
    src = tmp_path / f"held.{ext}"
    frames[0].save(src, fmt, save_all=True, append_images=frames[1:], duration=[100, 100, 200], loop=0, **({"lossless": True} if fmt == "WEBP" else {}))
    [res] = unseen.clean([src])
    assert res.status == "ok", res.error
    with Image.open(res.output) as im:
        n = getattr(im, "n_frames", 1)
        shown = []
        for k in range(n):
            im.seek(k)
            shown.append(im.info.get("duration", 0))
            assert covered(np.asarray(im.convert("RGB")), FACE_BOX, tol=8) > 0.95, k
    # fewer pictures, shown as long as the three were (a single one is written as a still; a
    # GIF's frames, each with a palette of its own, may still differ outside the mask)
    assert n == 1 or (n < 3 and sum(shown) == 400), (n, shown)


def test_a_transparent_gif_is_masked_in_black(astronaut: np.ndarray, tmp_path: Path) -> None:
    """A transparent GIF's palette gives black's entry to the transparent colour: the black
    mask came back (4, 1, 1) and the exact check refused every such sticker."""
    rgba = np.dstack([astronaut, np.full(astronaut.shape[:2], 255, np.uint8)])
    rgba[:, :40, 3] = rgba[:, -40:, 3] = 0  # a transparent border
    src = tmp_path / "sticker.gif"
    Image.fromarray(rgba, "RGBA").save(src)
    [res] = unseen.clean([src])
    assert res.status == "ok", res.error
    out = np.asarray(Image.open(res.output).convert("RGB"))
    assert covered(out, FACE_BOX, tol=8) > 0.95
    assert main(["audit", res.output]) == 0


@pytest.mark.parametrize("argv", [["--grid", "0"], ["--grid", "-16"], ["--crf", "45"], ["--jobs", "0"]])
def test_numbers_out_of_range_are_usage_errors(argv: list[str], astronaut: np.ndarray, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``--grid 0`` divided by zero and ``--grid -16`` masked nothing, then blamed the faces; from
    ``--crf 45`` x264 blurs a solid mask past what the read-back accepts."""
    src = write_format(astronaut, tmp_path / "a.png", "PNG")
    with pytest.raises(SystemExit) as stop:
        main(["clean", str(src), *argv])
    assert stop.value.code == 2 and "must be a whole number" in capsys.readouterr().err
    assert not (tmp_path / "a.unseen.png").exists()


@pytest.mark.parametrize("fmt,ext", [("WEBP", "webp"), ("HEIF", "heic"), ("AVIF", "avif")])
def test_webp_heic_and_avif_masks_are_on_8_px_blocks_noise_on_16(fmt: str, ext: str, astronaut: np.ndarray, tmp_path: Path) -> None:
    """Solid masks on VP8, HEVC and AV1 outputs cover whole 8-px blocks and decode to their
    colour (they grew to 16 px, a fifth more of a crowd photo black); noise drawn 8 px a block
    did not come back from WebP and AVIF, so noise stays on 16."""
    from unseen.mask import region_mask
    from unseen.pipeline.common import Options
    from unseen.pipeline.still import _style

    src = write_format(astronaut, tmp_path / f"a.{ext}", fmt, quality=90)
    [res] = unseen.clean([src])
    assert res.status == "ok", res.error
    if fmt == "HEIF":
        from pillow_heif import register_heif_opener

        register_heif_opener()
    rgb = np.asarray(Image.open(res.output).convert("RGB"))
    face = max(res.regions, key=lambda r: r.area)
    (x0, y0, x1, y1), inside = region_mask(face, 512, 512, 8)
    assert inside is not None
    assert ((rgb[y0:y1, x0:x1] <= 8).all(-1)[inside]).mean() > 0.99
    (cx0, cy0, cx1, cy1), coarse = region_mask(face, 512, 512, 16)
    extra = np.zeros((512, 512), bool)
    extra[cy0:cy1, cx0:cx1] = coarse
    extra[y0:y1, x0:x1] &= ~inside
    extra &= ~(astronaut <= 8).all(-1)  # the picture's own dark pixels aside
    assert extra.sum() > 500 and (rgb[extra] <= 8).all(-1).mean() < 0.2
    assert _style(Options(fill="noise"), ext.replace("heic", "heif")).grid == 16
    assert _style(Options(fill="noise"), "jpeg").grid == _style(Options(), ext.replace("heic", "heif")).grid == 8


def test_solid_colour_and_manual_regions(astronaut: np.ndarray, tmp_path: Path) -> None:
    src = write_format(astronaut, tmp_path / "a.png", "PNG")
    regions = tmp_path / "r.json"
    regions.write_text(json.dumps({"a.png": [[400, 400, 460, 450]]}))
    assert main(["clean", str(src), "--color", "#ff0000", "--regions", str(regions)]) == 0
    out = np.asarray(Image.open(tmp_path / "a.unseen.png").convert("RGB"))
    assert covered(out, (400, 400, 460, 450), color=np.array([255, 0, 0]), tol=0) == 1.0
    assert covered(out, FACE_BOX, color=np.array([255, 0, 0]), tol=0) > 0.98


def test_a_colour_the_fill_does_not_use_is_said(astronaut: np.ndarray, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``--fill noise --color #ff0000`` dropped the colour without a word."""
    src = write_format(astronaut, tmp_path / "a.png", "PNG")
    assert main(["clean", str(src), "--fill", "noise", "--color", "#ff0000", "--no-faces"]) == 0
    assert "--color colours the solid fill only; --fill noise does not use it" in capsys.readouterr().err
    assert main(["clean", str(src), "--color", "#ff0000", "--no-faces", "--overwrite"]) == 0
    assert "warning" not in capsys.readouterr().err


def test_no_faces_cleans_metadata_only(tagged_jpeg: Path, astronaut: np.ndarray) -> None:
    [res] = unseen.clean([tagged_jpeg], faces=False)
    out = _out(res)
    rgb = np.asarray(Image.open(out).convert("RGB"))
    assert covered(rgb, FACE_BOX) < 0.2
    assert res.models == {} and res.regions == []
    assert b"Exif" not in out.read_bytes()


def test_the_result_line_says_when_faces_were_not_searched(astronaut: np.ndarray, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``--no-faces`` said "0 regions masked; verified", and ``audit`` then found the face."""
    src = write_format(astronaut, tmp_path / "a.png", "PNG")
    assert main(["clean", str(src), "--no-faces"]) == 0
    assert "faces not searched" in capsys.readouterr().out
    assert main(["clean", str(src), "--overwrite"]) == 0
    assert "faces not searched" not in capsys.readouterr().out


def test_lossy_masks_are_heads_of_whole_blocks(tagged_jpeg: Path) -> None:
    """On a lossy output every block the head shape touches is filled whole (no residue of the
    face in a block the mask only grazes); the box's corners, which a head does not reach, keep
    the picture. A JPEG is written without chroma subsampling, so its blocks are 8 px in every
    plane (at 4:2:0 a colour block spans 16 px, and a small face's mask took up to four times
    its area)."""
    from PIL import JpegImagePlugin

    from unseen.mask import region_mask

    [res] = unseen.clean([tagged_jpeg])
    with Image.open(_out(res)) as im:
        assert JpegImagePlugin.get_sampling(im) == 0  # 4:4:4
        rgb = np.asarray(im.convert("RGB"))
    face = max(res.regions, key=lambda r: r.area)
    assert face.shape == "head"
    (x0, y0, x1, y1), inside = region_mask(face, 512, 512, 8)
    assert x0 % 8 == y0 % 8 == 0 and inside is not None
    blocks = inside.reshape((y1 - y0) // 8, 8, (x1 - x0) // 8, 8)
    assert (blocks.all(axis=(1, 3)) == blocks.any(axis=(1, 3))).all()  # whole blocks only
    dark = (rgb[y0:y1, x0:x1] <= 8).all(-1)
    assert dark[inside].mean() > 0.995
    # what 16-px blocks would add is left as it was: 8-px blocks, not 16
    (cx0, cy0, cx1, cy1), coarse = region_mask(face, 512, 512, 16)
    assert coarse is not None
    fine = np.zeros((512, 512), bool)
    fine[y0:y1, x0:x1] = inside
    extra = np.zeros((512, 512), bool)
    extra[cy0:cy1, cx0:cx1] = coarse
    extra &= ~fine
    assert extra.sum() > 500 and (rgb[extra] <= 8).all(-1).mean() < 0.2
    assert not inside.all() and dark[~inside].mean() < 0.5  # rounded: the corners are not masked


def test_wrong_extension_sniffed(astronaut: np.ndarray, tmp_path: Path) -> None:
    src = tmp_path / "looks.jpg"
    Image.fromarray(astronaut).save(src, "PNG")
    [res] = unseen.clean([src])
    out = _out(res)
    assert res.format == "png" and out.name == "looks.unseen.png"
    assert out.read_bytes().startswith(b"\x89PNG")


def test_report_names_but_never_values(tagged_jpeg: Path, tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    assert main(["clean", str(tagged_jpeg), "--report", str(report)]) == 0
    text = report.read_text()
    doc = json.loads(text)
    [f] = doc["files"]
    assert f["input_sha256"] == sha(tagged_jpeg)
    assert set(f["models"]) == {"centerface", "blazeface-full-range", "blazeface-short-range"}
    assert all(len(v) == 64 for v in f["models"].values())
    assert "GPS position" in f["metadata_found"] and "camera body serial number" in f["metadata_found"]
    assert f["verification"]["passed"] is True
    assert f["regions"] and all(r["source"] for r in f["regions"])
    for secret in ("41.8", "129.5", "TestMaker", "PhoneModel", "SN123456789", "Kim", "Yanji", "safe house"):
        assert secret not in text


def test_json_output_lines(astronaut: np.ndarray, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = write_format(astronaut, tmp_path / "a.png", "PNG")
    b = write_format(astronaut, tmp_path / "b.webp", "WEBP")
    assert main(["clean", str(a), str(b), "--json"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [x["status"] for x in lines] == ["ok", "ok"]
    assert lines[1]["output"].endswith("b.unseen.webp")


def test_a_face_drawn_in_the_alpha_channel_alone_is_found_and_covered(astronaut: np.ndarray, tmp_path: Path) -> None:
    """Black ink on a transparent sheet: the colours are all black and the face is in the alpha
    channel, which any viewer lays over its background. clean and audit used to look at the
    colours alone: released as verified, and audit said nothing."""
    grey = np.asarray(Image.fromarray(astronaut).convert("L"))
    rgba = np.zeros((*grey.shape, 4), np.uint8)
    rgba[..., 3] = 255 - grey  # dark where the photo is dark: over white, the portrait
    src = tmp_path / "ink.png"
    Image.fromarray(rgba, "RGBA").save(src)
    [before] = unseen.audit([src])
    assert before.faces, "audit sees the face a viewer shows"
    [res] = unseen.clean([src], tmp_path / "out")
    assert res.status == "ok", res.error
    out = np.asarray(Image.open(res.output).convert("RGBA")).astype(np.uint16)
    over_white = ((out[..., :3] * out[..., 3:] + 255 * (255 - out[..., 3:])) // 255).astype(np.uint8)
    assert covered(over_white, FACE_BOX) > 0.97
    [after] = unseen.audit([Path(res.output)])
    assert not after.faces


def test_a_face_on_a_larger_later_page_is_in_the_plan_and_a_box_drawn_there_is_kept(astronaut: np.ndarray, tmp_path: Path) -> None:
    """A TIFF whose first page is small: the plan's picture was page 1's size, so a face on a
    larger page 2 was left out of the plan (verification alone covered it) and a box drawn there
    (--regions) was dropped without a word. The plan's canvas is now the largest page's."""
    small = Image.new("RGB", (160, 120), (200, 200, 200))
    big = np.full((500, 1200, 3), 90, np.uint8)
    big[0:512 - 12, 700:1212 - 12][:488, :500] = astronaut[:488, :500]
    src = tmp_path / "pages.tif"
    small.save(src, save_all=True, append_images=[Image.fromarray(big)])
    fx0, fy0, fx1, fy1 = FACE_BOX
    face = (700 + fx0, fy0, 700 + fx1, fy1)  # on page 2
    plan = unseen.analyse(src)
    assert (plan.input.width, plan.input.height) == (1200, 500)
    assert any(r.on and r.box[0] <= face[0] + 20 and r.box[2] >= face[2] - 20 for r in plan.regions), plan.to_json()["regions"]
    regions = tmp_path / "boxes.json"
    regions.write_text(json.dumps({"pages.tif": [list(face)]}))
    assert main(["clean", str(src), "-o", str(tmp_path / "out"), "--regions", str(regions), "--no-faces", "-q"]) == 0
    out = Image.open(tmp_path / "out" / "pages.unseen.tif")
    out.seek(1)
    assert covered(np.asarray(out.convert("RGB")), face) > 0.97
