"""Uploaded documents (an emergency plan, a notice): PDF, Word (.doc, .docx) or OFD (GB/T 33190, the
format of Chinese government e-documents), recognised by their first bytes and, for the zip-based
formats, by the parts a zip's directory names, never by the file's name. The size limit is checked
before anything is read; nothing is parsed beyond the zip's directory (which `zipfile` reads without
inflating a byte). Stored names come from `relief.uploads.attachment_name`."""

from __future__ import annotations

import zipfile
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from relief.uploads import _mb, sniff

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the compound file of Word 97-2003 (.doc)
ZIP = b"PK\x03\x04"
#: the zip's directory holds at most this many parts (a docx has a few dozen)
MAX_PARTS = 2000


def _zip_kind(file: Any) -> str | None:
    try:
        with zipfile.ZipFile(file) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError):
        return None
    if len(infos) > MAX_PARTS:
        return None
    names = {i.filename.lstrip("/") for i in infos}
    if "[Content_Types].xml" in names and "word/document.xml" in names:
        return "docx"
    if "OFD.xml" in names:
        return "ofd"
    return None


def check_document(file: Any) -> str:
    """The detected type of an uploaded document ("pdf", "doc", "docx" or "ofd"), or a
    ValidationError in Chinese. The file is put back at its start."""
    size = getattr(file, "size", None)
    limit = settings.UPLOAD_DOCUMENT_MAX_BYTES
    if size is not None and size > limit:
        raise ValidationError(_("文件过大（上限 %(max)s）") % {"max": _mb(limit)})
    file.seek(0)
    head = file.read(2048) or b""
    file.seek(0)
    kind = "pdf" if sniff(head) == "pdf" else "doc" if head.startswith(OLE2) else None
    if kind is None and head.startswith(ZIP):
        kind = _zip_kind(file)
        file.seek(0)
    if kind is None:
        raise ValidationError(_("只能上传 PDF、Word（.doc、.docx）或 OFD 格式的文件"))
    return kind
