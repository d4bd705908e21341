"""One text normaliser for everything read from documents, spreadsheets and plan folders.

Offices and plan documents write the same thing many ways: full-width digits and brackets, stray
spaces inside names, curly quotes, footnote marks (昆阳镇①, 2.1*), dashes and 至 in month spans.
Every reader matches labels on :func:`normalize`'s output, with the options its use needs.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

#: Marks that flag a footnote at the end of a cell or a name (removed before NFKC, which would
#: turn ① into 1, and again after it). Superscript digits are not among them: m² is a unit.
FOOTNOTE_MARKS = "*＊※†‡#①②③④⑤⑥⑦⑧⑨⑩⑴⑵⑶"
_FOOTNOTES = re.compile(f"[{re.escape(FOOTNOTE_MARKS)}]+$")
#: Quotation marks of every kind.
QUOTES = "“”\"'‘’「」"
_STRAIGHT = str.maketrans({"“": '"', "”": '"', "「": '"', "」": '"'})
_DROP_QUOTES = {ord(c): None for c in QUOTES}
_SPACE = re.compile(r"\s+")
_DASH_BETWEEN_DIGITS = re.compile(r"(?<=\d)(?:[—–―‐‑−~〜]|至|到|——)(?=\d)")


def normalize(
    text: object,
    *,
    footnotes: bool = False,
    quotes: Literal["keep", "straight", "drop"] = "keep",
    dashes: bool = False,
) -> str:
    """NFKC (full-width → half-width) with all white space removed, and optionally:

    * ``footnotes``: trailing footnote marks removed (昆阳镇① → 昆阳镇, 2.1* → 2.1);
    * ``quotes``: ``"straight"`` turns curly quotes into ``"``, ``"drop"`` removes every quote;
    * ``dashes``: any dash, tilde, 至 or 到 between two digits becomes ``-`` (1—9月 → 1-9月),
      and remaining em/en dashes become ``-``.
    """
    s = str(text)
    if footnotes:
        s = _FOOTNOTES.sub("", s.strip())
    s = _SPACE.sub("", unicodedata.normalize("NFKC", s))
    if footnotes:
        s = _FOOTNOTES.sub("", s)
    if quotes == "straight":
        s = s.translate(_STRAIGHT)
    elif quotes == "drop":
        s = s.translate(_DROP_QUOTES)
    if dashes:
        s = _DASH_BETWEEN_DIGITS.sub("-", s).replace("—", "-").replace("–", "-")
    return s
