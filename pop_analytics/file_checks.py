"""What a file really is, and whether it fits the budget, decided from its bytes before any parser
sees them: a name proves nothing, and a 2 KB workbook can claim a billion cells.

Every refusal is a FileRefused with a sentence for the partner (problem.* in the catalogues).
"""
from __future__ import annotations

import codecs
import io
import re
import zipfile
import zlib
from typing import Any

from . import settings
from .errors import FileRefused
from .messages import phrase, problem

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Compound File: .xls, and encrypted Office files
ZIP_MAGIC = b"PK\x03\x04"
# A password-protected Office file is a Compound File holding these streams (names in UTF-16).
_ENCRYPTED_STREAMS = ("EncryptionInfo".encode("utf-16-le"), "EncryptedPackage".encode("utf-16-le"))
_XML_DECLARATIONS = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_XML_DECLARATIONS_TEXT = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
# An XML part's encoding as its first bytes tell it (XML 1.0, appendix F) when it is not a superset
# of ASCII: a byte search would not see '<!DOCTYPE' written in it. Longer marks first.
_XML_ENCODING_MARKS = (
    (b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\x00\x3c", "utf-32-be"), (b"\x3c\x00\x00\x00", "utf-32-le"),
    (b"\xfe\xff", "utf-16-be"), (b"\xff\xfe", "utf-16-le"),
    (b"\x00\x3c", "utf-16-be"), (b"\x3c\x00", "utf-16-le"),
    (b"\x4c\x6f\xa7\x94", "cp500"),  # EBCDIC
)
# The encoding an ASCII-looking part declares; only these keep '<!DOCTYPE' as its ASCII bytes.
_DECLARED_ENCODING = re.compile(rb"""\A(?:\xef\xbb\xbf)?<\?xml[^>]{0,200}?encoding\s*=\s*["']([^"']{0,40})["']""")
_ASCII_ENCODINGS = re.compile(r"(utf[-_]?8|(us[-_]?)?ascii|latin[-_]?1|iso[-_]?8859[-_]?\d+|(windows|cp)[-_]?125\d)",
                              re.IGNORECASE)
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
        raise refuse("unreadable_file", file_name, detail=error_detail(error)) from None
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
    size. Every XML part is searched for declarations from its first byte to its last (a prolog can
    be padded with comments past any fixed window), in the encoding it is written in."""
    size, scan = 0, None
    xml = member.filename.lower().endswith((".xml", ".rels", ".vml"))
    try:
        with archive.open(member) as handle:
            while chunk := handle.read(1 << 20):
                size += len(chunk)
                if size > room or size > member.file_size:
                    raise refuse("archive_too_large", file_name, limit=settings.MAX_UNCOMPRESSED_BYTES // 2**20)
                if xml:
                    scan = scan or _DeclarationScan(chunk, file_name)
                    if scan.found(chunk):
                        raise refuse("xml_declarations", file_name)
    # RuntimeError covers an encrypted member and an unsupported compression method (NotImplemented…)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError) as error:
        raise refuse("unreadable_file", file_name, detail=error_detail(error)) from None
    return size


class _DeclarationScan:
    """Whether an XML part declares a DOCTYPE or an entity, fed its chunks in order: memory stays
    one chunk and a short carry-over, so a declaration split between two chunks is still found."""

    _CARRY = 256  # longer than '<!' and the keyword with any whitespace a parser would accept between

    def __init__(self, first: bytes, file_name: str):
        encoding = _xml_encoding(first, file_name)
        self._decoder = None if encoding is None else codecs.getincrementaldecoder(encoding)(errors="replace")
        self._bytes, self._text = b"", ""  # the carry-over, as bytes or as decoded text

    def found(self, chunk: bytes) -> bool:
        if self._decoder is None:
            data = self._bytes + chunk
            self._bytes = data[-self._CARRY:]
            return _XML_DECLARATIONS.search(data) is not None
        text = self._text + self._decoder.decode(chunk)
        self._text = text[-self._CARRY:]
        return _XML_DECLARATIONS_TEXT.search(text) is not None


def _xml_encoding(first: bytes, file_name: str) -> str | None:
    """The codec to read a part with before searching it, or None when its bytes can be searched as
    they are (UTF-8 and the ASCII-based code pages). A declared encoding of any other kind is
    refused: Excel writes UTF-8, and a search in bytes would miss '<!DOCTYPE' written in it."""
    for mark, encoding in _XML_ENCODING_MARKS:
        if first.startswith(mark):
            return encoding
    declared = _DECLARED_ENCODING.match(first)
    if declared is None or _ASCII_ENCODINGS.fullmatch(declared.group(1).decode("ascii", "replace").strip()):
        return None
    raise refuse("unreadable_file", file_name, detail=phrase(
        "problem.detail.xml_encoding", encoding=declared.group(1).decode("ascii", "replace")[:40]))


def error_detail(error: BaseException) -> str:
    """An error's own words, cut short, and never a path of this machine."""
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return re.sub(r"(/[^\s'\"]+)+", "…", text)[:160]
