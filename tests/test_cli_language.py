"""The command line in Korean and English: every string a person reads comes from the catalogue
(src/unseen/locale), has a Korean text, and a Korean locale shows no English sentence of it;
``--json`` stays English; with no Korean locale named, English."""
from __future__ import annotations

import argparse
import gettext
import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from unseen import i18n
from unseen.cli import main

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
from catalogue import _id, argparse_strings, code_strings, untranslated  # noqa: E402

LOCALE_VARS = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
_WORD = re.compile(r"[A-Za-z]{2,}")
_PERCENT = re.compile(r"%(?:\(\w+\))?[srd]")


@pytest.fixture
def korean(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in LOCALE_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "ko_KR.UTF-8")


@pytest.fixture
def photo(tmp_path: Path, astronaut: np.ndarray) -> Path:
    path = tmp_path / "astronaut.png"
    Image.fromarray(astronaut).save(path)
    return path


def _fields(text: str) -> list[str]:
    return sorted(re.findall(r"\{(\w+)\}", text))


def _english_phrases() -> set[str]:
    """The literal English pieces (two words or more) of every message the command line shows,
    less any piece its Korean texts keep on purpose (option names, file-name examples)."""
    ko = i18n.catalog("ko")
    texts = [t for m in ko if m.id for t in ([m.string] if isinstance(m.string, str) else list(m.string))]
    phrases: set[str] = set()
    for key in {**code_strings(), **argparse_strings()}:
        for msgid in key if isinstance(key, tuple) else (key,):
            for piece in re.split(r"\{\w+\}|%(?:\(\w+\))?[srd]|\n", msgid):
                piece = piece.strip(" ,.;:()[]'\"")
                if len(_WORD.findall(piece)) >= 2 and not any(piece in t for t in texts):
                    phrases.add(piece)
    return phrases


def _no_english(text: str) -> None:
    left = sorted(p for p in _english_phrases() if p in text)
    assert not left, f"English left in Korean output: {left[:8]}\n{text}"
    for word in ("usage:", "error:", "options:", "positional arguments", "show this help"):
        assert word not in text, word


# --- the catalogue -----------------------------------------------------------------------------


def test_every_command_line_string_has_korean() -> None:
    """Fails when code marks a string (``_``, ``gettext``, ``ngettext``, ``N_``) or argparse has
    a word that the Korean catalogue lacks or leaves empty."""
    strings = {**code_strings(), **argparse_strings()}
    assert len(code_strings()) > 100 and len(argparse_strings()) > 20
    missing = untranslated(i18n.catalog("ko"), strings)
    assert not missing, f"no Korean for: {missing[:5]}"
    en = i18n.catalog("en")
    assert all(en.get(_id(k)) is not None for k in strings), "every string is in the English catalogue"
    pot = (i18n.LOCALE_DIR / "unseen.pot").read_text(encoding="utf-8")
    assert all(f'msgid "{json.dumps(_id(k), ensure_ascii=False)[1:-1]}"' in pot for k in strings if "\n" not in _id(k))


def test_korean_texts_keep_every_placeholder() -> None:
    for m in i18n.catalog("ko"):
        if not m.id or not m.string:
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        texts = m.string if isinstance(m.string, tuple) else (m.string,)
        for text in texts:
            assert _fields(text) == _fields(ids[0]), (m.id, text)
            assert sorted(_PERCENT.findall(text)) == sorted(_PERCENT.findall(ids[0])), (m.id, text)


def test_messages_made_in_english_are_shown_translated() -> None:
    """Every message with values, made English where it is raised (``N_(...).format``), is found
    again from its text and shown in Korean with the same values; nested reasons too."""
    ko = i18n.catalog("ko")
    for key in code_strings():
        if isinstance(key, tuple) or not _fields(key):
            continue
        values = {f: f"V{i}/x.jpg" for i, f in enumerate(_fields(key))}
        assert i18n.localize(key.format(**values), "ko") == ko.get(key).string.format(**values), key
    inner = "output exists: out/a.unseen.jpg (use --overwrite)"
    assert i18n.localize(f"verification failed: {inner}; file is empty", "ko") == "검증에 실패했어요: 결과 파일이 이미 있어요: out/a.unseen.jpg (덮어쓰려면 --overwrite를 쓰세요); 파일이 비어 있어요"
    # the operating system's reason, and the "; "-joined parts of a thumbnail's finding
    assert i18n.localize("Permission denied: /home/kim/a.jpg", "ko") == "권한이 없어요: /home/kim/a.jpg"
    assert i18n.localize("cannot write out/a.jpg: No space left on device", "ko") == "out/a.jpg에 쓸 수 없어요: 저장 공간이 모자라요"
    shape = "its shape differs from the main image: it may show the unedited or uncropped original"
    assert i18n.localize(f"160x120 JPEG, 6536 bytes; {shape}", "ko") == f"160x120 JPEG, 6536바이트; {ko.get(shape).string}"
    # two messages of one template joined: a frame number held "3 at (0,0); mask not present in
    # frame 5", and the second message stayed English inside the first
    missing = "mask not present in frame {frame} at {point}"
    two = "; ".join(missing.format(frame=f, point=p) for f, p in ((3, "(0,0)"), (5, "(8,8)")))
    assert i18n.localize(f"verification failed: {two}", "ko") == "검증에 실패했어요: " + "; ".join(ko.get(missing).string.format(frame=f, point=p) for f, p in ((3, "(0,0)"), (5, "(8,8)")))
    assert i18n.localize("something no catalogue knows", "ko") == "something no catalogue knows"
    assert i18n.localize("file is empty", "en") == "file is empty"


def test_language_follows_the_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in LOCALE_VARS:
        monkeypatch.delenv(var, raising=False)
    assert i18n.env_language() == "en"
    for value, lang in (("ko_KR.UTF-8", "ko"), ("ko", "ko"), ("C", "en"), ("POSIX", "en"), ("C.UTF-8", "en"), ("en_GB.UTF-8", "en"), ("fr_FR.UTF-8", "en")):
        monkeypatch.setenv("LANG", value)
        assert i18n.env_language() == lang, value
    monkeypatch.setenv("LANG", "ko_KR.UTF-8")
    monkeypatch.setenv("LC_ALL", "C")
    assert i18n.env_language() == "en"
    monkeypatch.setenv("LANG", "ko_KR.UTF-8")
    monkeypatch.delenv("LC_ALL")
    assert i18n.ngettext("{n} region masked", "{n} regions masked", 3) == "{n}곳을 가렸어요"
    monkeypatch.setenv("LANG", "C")
    assert i18n.ngettext("{n} region masked", "{n} regions masked", 1) == "{n} region masked"
    assert i18n.ngettext("{n} region masked", "{n} regions masked", 3) == "{n} regions masked"


# --- the command line in Korean ------------------------------------------------------------------


@pytest.mark.parametrize("argv", [[], ["clean"], ["analyse"], ["audit"], ["review"]])
def test_korean_help(korean: None, argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main([*argv, "--help"])
    assert stop.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("사용법: unseen") and "옵션:" in out and "이 도움말을 보여 주고 끝내요" in out
    _no_english(out)
    assert argparse._ is gettext.gettext, "argparse's translator is put back after parsing"  # type: ignore[attr-defined]


def test_korean_usage_errors(korean: None, capsys: pytest.CaptureFixture[str]) -> None:
    for argv, said in ((["clean"], "다음 인수가 필요해요: paths"), (["clean", "--fill", "fog", "a.jpg"], "고를 수 없는 값이에요"), (["clean", "--color", "teal", "a.jpg"], "알아볼 수 없어요"), (["clean", "--grid", "0", "a.jpg"], "1에서 256 사이의 정수여야 해요"), (["shred"], "고를 수 없는 값이에요")):
        with pytest.raises(SystemExit) as stop:
            main(argv)
        assert stop.value.code == 2
        err = capsys.readouterr().err
        assert "오류: " in err and said in err, err
        _no_english(err)


def test_korean_clean_analyse_audit(korean: None, photo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    assert main(["clean", "--fill", "blur", str(photo), str(empty)]) == 1
    cap = capsys.readouterr()
    out, err = cap.out, cap.err
    assert f"완료  {photo} -> {tmp_path / 'astronaut.unseen.png'} (" in out and "곳을 가렸어요" in out and "검증을 마쳤어요" in out
    assert f"실패  {empty}: 파일이 비어 있어요" in err
    assert "주의: 흐리게 하기(blur)와 모자이크(pixelate)로는 보호되지 않아요" in err
    assert "unseen: 파일 2개 중 1개는 안전한 사본을 만들지 못했어요" in err
    _no_english(out + err)

    # the same file again: the output exists
    assert main(["clean", str(photo)]) == 1
    err = capsys.readouterr().err
    assert "결과 파일이 이미 있어요" in err and "--overwrite" in err
    _no_english(err)

    assert main(["analyse", str(photo)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"계획  {photo} -> ") and "얼굴 1개" in out
    _no_english(out)

    assert main(["audit", str(photo), str(tmp_path / "astronaut.unseen.png"), str(empty)]) == 1
    out = capsys.readouterr().out
    assert "얼굴 1개 찾음" in out and "png 사진, 512x512" in out and "읽을 수 없어요: 파일이 비어 있어요" in out
    assert "파일 데이터에서는 신원을 드러낼 만한 것을 찾지 못했어요" in out
    _no_english(out)


def test_korean_audit_of_a_tagged_photo(korean: None, tagged_jpeg: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "--no-faces", str(tagged_jpeg)]) == 1
    out = capsys.readouterr().out
    assert "위치" in out and "41.808333, 129.500000" in out
    _no_english(out)


def test_names_and_file_data_are_never_translated(korean: None, astronaut: np.ndarray, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Only unseen's own words are translated: a file named like a message, and a tag whose value
    reads like one, are shown exactly as they are."""
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "file is empty")
    odd = tmp_path / "file is empty; 12 bytes.png"
    Image.fromarray(astronaut).save(odd, pnginfo=info)
    assert main(["clean", "--no-faces", str(odd)]) == 0
    assert f"완료  {odd} -> {tmp_path / 'file is empty; 12 bytes.unseen.png'} (" in capsys.readouterr().out
    assert main(["clean", "--no-faces", str(odd)]) == 1
    assert f"결과 파일이 이미 있어요: {tmp_path / 'file is empty; 12 bytes.unseen.png'} (덮어쓰려면" in capsys.readouterr().err
    assert main(["audit", "--no-faces", str(odd)]) == 1
    out = capsys.readouterr().out
    assert "PNG 글 'Comment'" in out and out.rstrip().endswith("file is empty") and "파일이 비어 있어요" not in out
    assert i18n.localize("cannot read plan plans/file is empty.json: Permission denied", "ko") == "계획 파일 plans/file is empty.json을(를) 읽을 수 없어요: 권한이 없어요"


def test_json_stays_english(korean: None, photo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Scripts read --json: its texts are the catalogue's ids, whatever the locale."""
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    assert main(["clean", "--json", "--no-faces", str(photo), str(empty)]) == 1
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["status"] for r in rows] == ["ok", "error"] and rows[1]["error"] == "file is empty"


# --- English stays the default ---------------------------------------------------------------------


@pytest.mark.parametrize("lang", [None, "C", "POSIX", "en_US.UTF-8"])
def test_english_without_a_korean_locale(lang: str | None, monkeypatch: pytest.MonkeyPatch, photo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for var in LOCALE_VARS:
        monkeypatch.delenv(var, raising=False)
    if lang:
        monkeypatch.setenv("LANG", lang)
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    assert main(["clean", "--no-faces", str(photo), str(empty)]) == 1
    cap = capsys.readouterr()
    assert f"ok      {photo} -> " in cap.out and "verified)" in cap.out
    assert f"FAILED  {empty}: file is empty" in cap.err and "unseen: 1 of 2 files not cleaned" in cap.err
    with pytest.raises(SystemExit):
        main(["audit", "--help"])
    assert capsys.readouterr().out.startswith("usage: unseen audit")
