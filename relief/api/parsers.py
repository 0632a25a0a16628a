"""The API's parsers: JSON (a body nested too deep is a 400, never a RecursionError, a 500) and raw XML
(bytes passed through to a reader that parses them safely itself)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.parsers import BaseParser
from rest_framework.parsers import JSONParser as DRFJSONParser

MAX_DEPTH = 32  # our deepest payload is 3 levels; 32 leaves room and stays far from the recursion limit


def _depth(data) -> int:
    """Nesting depth of parsed JSON, without recursion."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            value = value.values()
        elif not isinstance(value, list):
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_DEPTH:
            return deepest
        stack.extend((v, depth + 1) for v in value)
    return deepest


class JSONParser(DRFJSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(_("JSON 嵌套层数过多（最多 %(n)d 层）") % {"n": MAX_DEPTH}) from None
        if _depth(data) > MAX_DEPTH:
            raise exceptions.ParseError(_("JSON 嵌套层数过多（最多 %(n)d 层）") % {"n": MAX_DEPTH})
        return data


class RawXMLParser(BaseParser):
    """An XML body handed to the view as the bytes received (`request.data`), for a reader that
    parses it safely itself (patrols/cap.py: defusedxml, size checked first)."""

    media_type = "application/xml"

    def parse(self, stream, media_type=None, parser_context=None) -> bytes:
        return stream.read() if stream is not None else b""


class TextXMLParser(RawXMLParser):
    media_type = "text/xml"


class CapXMLParser(RawXMLParser):
    media_type = "application/cap+xml"


XML_PARSERS = [CapXMLParser, RawXMLParser, TextXMLParser]
