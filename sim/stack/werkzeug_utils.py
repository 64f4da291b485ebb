"""``werkzeug.utils.send_file`` and ``Response.make_conditional``, for Flask's static route.

The response of a static file: ``Content-Disposition``, type, length, ``Last-Modified``,
``Cache-Control: no-cache``, an ``ETag`` (``"<mtime>-<size>-<adler32 of the path>"``: the
path is the simulated app's, so the fidelity harness normalizes ETag values), its own ``Date``
(the server adds another), and ``Accept-Ranges: bytes``. Then the conditional headers:
``Range`` (one range: 206; anything else parseable: 416) unless an ``If-Range`` no longer
holds, ``If-Modified-Since``,
``If-None-Match`` and ``If-Match`` as ``is_resource_modified`` reads them.
"""

from __future__ import annotations

import re
import zlib
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from ..mimetable import MimeTypes
from .werkzeug_wrappers import Headers, RangeNotSatisfiable, Response, get_content_type

#: The simulated app's static folder (only its path shows, in the ETag).
STATIC_FOLDER = "/srv/app/static"
_PLAIN_INT = re.compile(r"\d+", re.ASCII)


#: ``werkzeug.http._token_chars``: a header value of only these needs no quotes
_TOKEN_CHARS = frozenset("!#$%&'*+-.0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ^_`abcdefghijklmnopqrstuvwxyz|~")


def quote_header_value(value: str) -> str:
    """``werkzeug.http.quote_header_value``: a token as it is, anything else quoted
    (``my notes.txt`` -> ``"my notes.txt"``)."""
    if not value:
        return '""'
    if _TOKEN_CHARS.issuperset(value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


#: ``wrap_file``'s ``buffer_size``: what each read of a served file asks for
FILE_BUFFER_SIZE = 8192


def file_chunks(data: bytes) -> list[bytes]:
    """What the file wrapper (``werkzeug.wsgi.FileWrapper``, or the server's
    ``wsgi.file_wrapper``: wsgiref's ``FileWrapper``) yields for a file holding ``data``: a
    read of ``FILE_BUFFER_SIZE`` at a time until an empty read, so an empty file yields
    nothing at all (wsgiref then never calls ``write``)."""
    return [data[i:i + FILE_BUFFER_SIZE] for i in range(0, len(data), FILE_BUFFER_SIZE)]


def send_file(filename: str, data: bytes, mtime: int, environ: dict, date: str,
              mimetypes: MimeTypes) -> Response:
    download_name = filename.rsplit("/", 1)[-1]
    mimetype, encoding = mimetypes.guess_type(download_name)
    mimetype = mimetype or "application/octet-stream"
    path = f"{STATIC_FOLDER}/{filename}"
    etag = f"{mtime}.0-{len(data)}-{zlib.adler32(path.encode()) & 0xFFFFFFFF}"
    last_modified = format_datetime(datetime.fromtimestamp(mtime, UTC), usegmt=True)
    # Content-Encoding (``notes.gz``: gzip) is set first, before the Response exists.
    headers = Headers([("Content-Encoding", encoding)] if encoding is not None else [])
    headers.items += [
        ("Content-Disposition", f"inline; filename={quote_header_value(download_name)}"),
        ("Content-Type", get_content_type(mimetype)),
        ("Content-Length", str(len(data))),
        ("Last-Modified", last_modified),
        ("Cache-Control", "no-cache"),
        ("ETag", f'"{etag}"'),
    ]
    response = Response(200, headers, file_chunks(data), direct_passthrough=True)
    return make_conditional(response, environ, etag, mtime, date, data)


def make_conditional(response: Response, environ: dict, etag: str, mtime: int,
                     date: str, data: bytes) -> Response:
    """``Response.make_conditional(environ, accept_ranges=True, complete_length=len(data))``
    for a file holding ``data``."""
    if environ["REQUEST_METHOD"] not in ("GET", "HEAD"):
        return response
    headers = response.headers
    headers.set("Date", date)
    headers.set("Accept-Ranges", "bytes")
    length = len(data)
    if length and range_processable(environ, etag, mtime):
        span = parse_single_range(environ["HTTP_RANGE"], length)
        if span is None:
            raise RangeNotSatisfiable(length)
        return partial_content(response, data, *span)
    if not is_resource_modified(environ, etag, mtime):
        response.status_code = 412 if environ.get("HTTP_IF_MATCH") else 304
    return response


def partial_content(response: Response, data: bytes, start: int, stop: int) -> Response:
    """The 206 of ``_process_range_request``: the length of the range (in place), its
    ``Content-Range``, and the file wrapper read from ``start`` to ``stop``."""
    response.headers.set("Content-Length", str(stop - start))
    response.headers.set("Content-Range", f"bytes {start}-{stop - 1}/{len(data)}")
    response.status_code = 206
    response.body = file_chunks(data[start:stop])
    return response


def parse_single_range(value: str, length: int) -> tuple[int, int] | None:
    """``parse_range_header`` + ``Range.range_for_length``: one ``bytes`` range, as
    ``(start, stop)``; None where Werkzeug answers 416."""
    units, sep, spec = value.partition("=")
    if not sep or units.strip(" \t").lower() != "bytes" or "," in spec:
        return None
    first, dash, last = spec.strip(" \t").partition("-")
    first, last = first.strip(" \t"), last.strip(" \t")
    if not dash:
        return None
    if not first:
        if not _PLAIN_INT.fullmatch(last) or int(last) == 0:
            return None
        return max(0, length - int(last)), length
    if not _PLAIN_INT.fullmatch(first) or (last and not _PLAIN_INT.fullmatch(last)):
        return None
    start = int(first)
    stop = int(last) + 1 if last else length
    if start >= stop or start >= length:
        return None
    return start, min(stop, length)


def parse_range_016(value: str, length: int) -> tuple[int, int] | None:
    """0.16's ``parse_range_header`` + ``Range.range_for_length`` (``is_byte_range_valid``):
    one ``bytes`` range as ``(start, stop)``; None where 0.16 answers 416. Its checks differ
    from 3.x's: ``str.isdigit`` and ``int`` on the parts, a suffix ``-0`` is empty."""
    if not value or "=" not in value:
        return None
    units, spec = value.split("=", 1)
    ranges = []
    last_end = 0
    for item in spec.split(","):
        item = item.strip()
        if "-" not in item:
            return None
        if item.startswith("-"):
            if last_end < 0:
                return None
            try:
                begin, end = int(item), None
            except ValueError:
                return None
            last_end = -1
        else:
            first, last = (part.strip() for part in item.split("-", 1))
            if not first.isdigit() or int(first) < last_end or last_end < 0:
                return None
            begin = int(first)
            if last:
                if not last.isdigit() or begin >= int(last) + 1:
                    return None
                end = int(last) + 1
            else:
                end = None
            last_end = end if end is not None else -1
        ranges.append((begin, end))
    if units.strip().lower() != "bytes" or len(ranges) != 1:
        return None
    start, stop = ranges[0]
    if stop is None:
        stop = length
        if start < 0:
            start += length
    if start >= stop or not 0 <= start < length:
        return None
    return start, min(stop, length)


def range_processable(environ: dict, etag: str, mtime: int, werkzeug016: bool = False) -> bool:
    """``Response._is_range_request_processable``: a ``Range``, and no ``If-Range`` or one
    the file still meets (its date not before the file's, or its ETag)."""
    return "HTTP_RANGE" in environ and (
        "HTTP_IF_RANGE" not in environ
        or not is_resource_modified(environ, etag, mtime, ignore_if_range=False, werkzeug016=werkzeug016))


def is_resource_modified(environ: dict, etag: str, mtime: int, ignore_if_range: bool = True,
                         werkzeug016: bool = False) -> bool:
    """``werkzeug.http.is_resource_modified``: the simulated ETag can only equal ``*``, so
    ``If-None-Match`` matches only ``*``, and any ``If-Match`` fails (412). Unless
    ``ignore_if_range``, a request with a ``Range`` is judged by its ``If-Range``
    (``parse_if_range_header``): a date there stands for ``If-Modified-Since``, and an ETag
    decides alone: Werkzeug 3 compares it with the file's (``if_range.etag == etag``), 0.16
    asks ``parse_etags(if_range.etag).contains(etag)``, where an unquoted ``*`` is any."""
    if_range_date = if_range_etag = None
    if not ignore_if_range and environ.get("HTTP_RANGE") is not None and environ.get("HTTP_IF_RANGE"):
        value = environ["HTTP_IF_RANGE"]
        if_range_date = _parse_date(value)
        if if_range_date is None:
            if_range_etag = _unquote_etag(value)
    unmodified = False
    since = if_range_date if if_range_date is not None else _parse_date(environ.get("HTTP_IF_MODIFIED_SINCE"))
    if since is not None and mtime <= since:
        unmodified = True
    if if_range_etag is not None:
        if werkzeug016:
            return not ("*" in _etag_items(if_range_etag) or etag in _etag_items(if_range_etag))
        return if_range_etag != etag
    if_none_match = environ.get("HTTP_IF_NONE_MATCH", "").strip()
    if if_none_match:
        tags = {tag.strip().removeprefix("W/").strip('"') for tag in if_none_match.split(",")}
        unmodified = "*" in tags or etag in tags
    if environ.get("HTTP_IF_MATCH", "").strip():
        unmodified = True
    return not unmodified


def _unquote_etag(value: str) -> str:
    """``unquote_etag``: no weakness mark, no surrounding quotes."""
    value = value.strip()
    if value.startswith(("W/", "w/")):
        value = value[2:]
    if value[:1] == value[-1:] == '"':
        value = value[1:-1]
    return value


def _etag_items(value: str) -> set[str]:
    """The tags ``parse_etags`` finds in a list (quoted or not, weak or strong)."""
    return {tag.strip().removeprefix("W/").removeprefix("w/").strip('"') for tag in value.split(",")}


def _parse_date(value: str | None) -> float | None:
    """``parse_date`` as a timestamp: a date with no zone (``-0000``) is UTC."""
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()
