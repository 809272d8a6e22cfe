"""What a file really is, and whether it fits the budget, decided from its bytes before any parser
sees them: a name proves nothing, and a 2 KB workbook can claim a billion cells.

Every refusal is a FileRefused with a sentence for the partner (problem.* in the catalogues).
"""
from __future__ import annotations

import io
import re
import zipfile
import zlib
from typing import Any

from . import settings
from .errors import FileRefused
from .messages import problem

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Compound File: .xls, and encrypted Office files
ZIP_MAGIC = b"PK\x03\x04"
# A password-protected Office file is a Compound File holding these streams (names in UTF-16).
_ENCRYPTED_STREAMS = ("EncryptionInfo".encode("utf-16-le"), "EncryptedPackage".encode("utf-16-le"))
_XML_DECLARATIONS = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
# Other containers people mistake for spreadsheets: said plainly instead of "not a header".
_OTHER_FORMATS = {b"%PDF": "PDF", b"\x89PNG": "PNG", b"\xff\xd8\xff": "JPEG", b"PK\x03\x04": "ZIP"}


def kind(data: bytes) -> str:
    """'xlsx', 'xlsm', 'xls', 'encrypted', 'ods', 'zip', 'pdf'-like names, or 'text'."""
    if data.startswith(OLE_MAGIC):
        return "encrypted" if any(name in data for name in _ENCRYPTED_STREAMS) else "xls"
    if data.startswith(ZIP_MAGIC):
        try:
            names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        except (zipfile.BadZipFile, ValueError, OSError, EOFError):
            return "xlsx"  # a damaged workbook: reading it says so
        if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
            macros = "xl/vbaProject.bin" in names or any(n.lower().endswith(".bin") and "vba" in n.lower()
                                                          for n in names)
            return "xlsm" if macros or "xl/workbook.bin" in names else "xlsx"
        if "content.xml" in names and "mimetype" in names:
            return "ods"
        return "zip"
    for magic, name in _OTHER_FORMATS.items():
        if data.startswith(magic):
            return name.lower()
    return "text"


def refuse(code: str, file_name: str, **params: Any) -> FileRefused:
    return FileRefused([problem(code, sheet="", value=file_name, **params)])


def check_kind(data: bytes, file_name: str) -> str:
    """The kind the reader should use ('xlsx', 'xls' or 'text'); anything else is refused with what
    to do about it."""
    found = kind(data)
    if found == "encrypted":
        raise refuse("encrypted_file", file_name)
    if found == "xlsm":
        raise refuse("macro_file", file_name)
    if found in ("zip", "ods", "pdf", "png", "jpeg"):
        raise refuse("unsupported_file", file_name)
    return found


def check_archive(data: bytes, file_name: str) -> None:
    """A workbook's zip within budget, measured by inflating it (declared sizes can lie), and no
    XML part that declares a DOCTYPE or entities (entity bombs, external entities)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as error:
        raise refuse("unreadable_file", file_name, detail=_detail(error)) from None
    if len(members) > settings.MAX_ARCHIVE_MEMBERS:
        raise refuse("archive_too_large", file_name, limit=settings.MAX_UNCOMPRESSED_BYTES // 2**20)
    declared = sum(m.file_size for m in members)
    if declared > settings.MAX_UNCOMPRESSED_BYTES:
        raise refuse("archive_too_large", file_name, limit=settings.MAX_UNCOMPRESSED_BYTES // 2**20)
    total = 0
    for member in members:
        if member.file_size > settings.MAX_COMPRESSION_RATIO * max(member.compress_size, 1024):
            raise refuse("archive_too_large", file_name, limit=settings.MAX_UNCOMPRESSED_BYTES // 2**20)
        total += _inflate(archive, member, file_name, settings.MAX_UNCOMPRESSED_BYTES - total)


def _inflate(archive: zipfile.ZipFile, member: zipfile.ZipInfo, file_name: str, room: int) -> int:
    """Inflate one member chunk by chunk; its size, or a refusal past room or past its declared
    size. XML parts are checked for declarations in their prolog."""
    size, prolog = 0, b""
    xml = member.filename.lower().endswith((".xml", ".rels", ".vml"))
    try:
        with archive.open(member) as handle:
            while chunk := handle.read(1 << 20):
                size += len(chunk)
                if size > room or size > member.file_size:
                    raise refuse("archive_too_large", file_name, limit=settings.MAX_UNCOMPRESSED_BYTES // 2**20)
                if xml and len(prolog) < _PROLOG_BYTES:
                    prolog += chunk[:_PROLOG_BYTES]
                    if _XML_DECLARATIONS.search(prolog):
                        raise refuse("xml_declarations", file_name)
    # RuntimeError covers an encrypted member and an unsupported compression method (NotImplemented…)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError) as error:
        raise refuse("unreadable_file", file_name, detail=_detail(error)) from None
    return size


# A DOCTYPE stands before the root element, in the first bytes of a part.
_PROLOG_BYTES = 1 << 16


def _detail(error: BaseException) -> str:
    """An error's own words, cut short, and never a path of this machine."""
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return re.sub(r"(/[^\s'\"]+)+", "…", text)[:160]
