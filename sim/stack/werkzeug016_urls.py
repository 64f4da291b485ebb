"""Werkzeug 0.16.1's URL helpers, as far as a request's URL needs them: ``wsgi.get_host``,
``wsgi.get_current_url`` and ``urls.url_quote`` / ``uri_to_iri`` (with its ``url_parse``,
``URL.decode_netloc`` and ``_internal._decode_idna``), for ``repr(request)``.

Read beside ``werkzeug/wsgi.py``, ``werkzeug/urls.py`` and ``werkzeug/_internal.py`` of
0.16.1. Unlike Werkzeug 3, 0.16 checks nothing in the ``Host`` header (``bad host!`` is
shown as it came, case and all), quotes the path with ``safe="/:"`` (a literal ``%`` becomes
``%25``), and ``uri_to_iri`` unquotes only what is not ASCII (and the unreserved ASCII).
"""

from __future__ import annotations

import functools
import string
from urllib.parse import quote, urljoin

#: ``urls._always_safe``: what ``url_quote`` never quotes (and ``uri_to_iri`` always unquotes)
_ALWAYS_SAFE = frozenset((string.ascii_letters + string.digits + "-._~").encode())
#: ``urls._to_iri_unsafe``: the ASCII that stays quoted in an IRI
_TO_IRI_UNSAFE = frozenset(c for c in range(128) if c not in _ALWAYS_SAFE)


def get_host(environ: dict) -> str:
    """``wsgi.get_host`` (no trusted hosts): the ``Host`` header as it came (``:80`` dropped
    for http), else ``SERVER_NAME`` with ``:SERVER_PORT`` unless it is 80."""
    host = environ.get("HTTP_HOST")
    if host is not None:
        return host.removesuffix(":80")
    if environ["SERVER_PORT"] == "80":
        return environ["SERVER_NAME"]
    return f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']}"


def url_quote(data: bytes, safe: str = "/:") -> str:
    """``urls.url_quote`` of bytes: ``safe`` and the unreserved characters stay."""
    return quote(data, safe=safe)


def _unquote(text: str, unsafe: frozenset[int]) -> bytes:
    """``urls._unquote_to_bytes``: each ``%XX`` whose byte is not in ``unsafe`` unquoted."""
    groups = text.encode().split(b"%")
    out = bytearray(groups[0])
    for group in groups[1:]:
        code = group[:2]
        if len(code) == 2 and all(c in _HEX for c in code) and int(code, 16) not in unsafe:
            out.append(int(code, 16))
            out.extend(group[2:])
        else:
            out.append(37)  # %
            out.extend(group)
    return bytes(out)


_HEX = frozenset(b"0123456789abcdefABCDEF")


def _unquote_to_iri(text: str) -> str:
    """``url_unquote(text, "utf-8", "werkzeug.url_quote", _to_iri_unsafe)``: bytes that are
    not UTF-8 are quoted again (``_codec_error_url_quote``)."""
    data = _unquote(text, _TO_IRI_UNSAFE)
    out = []
    while True:
        try:
            out.append(data.decode("utf-8"))
            return "".join(out)
        except UnicodeDecodeError as err:
            out.append(data[:err.start].decode("utf-8"))
            out.append(quote(data[err.start:err.end], safe="/:"))
            data = data[err.end:]


def _decode_idna(host: str) -> str:
    """``_internal._decode_idna``: a non-ASCII name as it is; else each label from Punycode,
    a label that will not decode with its non-ASCII dropped."""
    try:
        raw = host.encode("ascii")
    except UnicodeError:
        return host
    labels = []
    for part in raw.split(b"."):
        try:
            labels.append(part.decode("idna"))
        except UnicodeError:
            labels.append(part.decode("ascii", "ignore"))
    return ".".join(labels)


def _split_host(hostport: str) -> tuple[str | None, str | None]:
    """``BaseURL._split_host``."""
    if not hostport:
        return None, None
    if not hostport.startswith("["):
        if ":" in hostport:
            host, port = hostport.split(":", 1)
            return host, port
        return hostport, None
    end = hostport.find("]")
    if end < 0:
        return hostport, None
    rest = hostport[end + 1:]
    return hostport[1:end], rest[1:] if rest.startswith(":") else None


def _netloc(netloc: str, host_codec, name_codec) -> str:
    """``URL.decode_netloc`` / ``encode_netloc``: ``_split_netloc`` and ``_split_host``, the
    host through ``host_codec`` (bracketed if it holds a colon), the port only if it is a
    valid one, the auth's names through ``name_codec``."""
    auth, hostport = netloc.split("@", 1) if "@" in netloc else ("", netloc)
    host, port_text = _split_host(hostport)
    rv = host_codec(host or "")
    if ":" in rv:
        rv = f"[{rv}]"
    try:
        port = int(port_text) if port_text is not None else None
    except ValueError:
        port = None
    if port is not None and 0 <= port <= 65535:
        rv = f"{rv}:{port}"
    username, _, password = auth.partition(":")
    names = ":".join(filter(None, [name_codec(username), name_codec(password)]))
    return f"{names}@{rv}" if names else rv


def _decode_netloc(netloc: str) -> str:
    """``URL.decode_netloc``: the host from Punycode, the auth unquoted."""
    return _netloc(netloc, _decode_idna, _unquote_legacy)


def _ascii_host(host: str) -> str:
    """``URL.ascii_host``: to Punycode; a name the codec refuses loses its non-ASCII."""
    try:
        return encode_idna(host)
    except UnicodeError:
        return host.encode("ascii", "ignore").decode("ascii")


def _encode_netloc(netloc: str) -> str:
    """``URL.encode_netloc``: the host to Punycode, the auth quoted."""
    return _netloc(netloc, _ascii_host, lambda name: quote(name, safe="/:%"))


def _unquote_legacy(text: str) -> str:
    """``urls._url_unquote_legacy(text, "/:%@")``: UTF-8, else latin-1."""
    data = _unquote(text, frozenset(b"/:%@"))
    try:
        return data.decode("utf-8")
    except UnicodeError:
        return data.decode("latin1")


def url_parse(url: str) -> tuple[str, str | None, str, str, str]:
    """``urls.url_parse`` of what these helpers meet: ``scheme://netloc/path?query#fragment``
    or a path (netloc None). A netloc with one bracket of an IPv6 address and not the other
    (a ``Host: [::1``) is a ValueError, as in the real one."""
    scheme, netloc = "", None
    if "://" in url:
        scheme, _, url = url.partition("://")
        ends = [i for i in (url.find(c) for c in "/?#") if i >= 0]
        cut = min(ends) if ends else len(url)
        scheme, netloc, url = scheme.lower(), url[:cut], url[cut:]
        if ("[" in netloc) != ("]" in netloc):
            raise ValueError("Invalid IPv6 URL")
    url, _, fragment = url.partition("#")
    path, _, query = url.partition("?")
    return scheme, netloc, path, query, fragment


@functools.lru_cache(maxsize=1024)
def uri_to_iri(uri: str) -> str:
    """``urls.uri_to_iri`` of ``scheme://netloc/path?query`` or of a request line's path
    (``url_parse`` then ``url_unparse``): reserved characters stay quoted (``%2B``).
    Cached: a pure function of the string, asked once per request (``log_request``)."""
    scheme, netloc, path, query, fragment = url_parse(uri)
    path = _unquote_to_iri(path)
    if netloc or (scheme and path.startswith("/")):
        if path and path[:1] != "/":
            path = "/" + path
        url = "//" + _decode_netloc(netloc or "") + path
    else:
        url = path
    if scheme:
        url = f"{scheme}:{url}"
    if query := _unquote_to_iri(query):
        url += "?" + query
    if fragment := _unquote_to_iri(fragment):
        url += "#" + fragment
    return url


def get_current_url(environ: dict, strip_querystring: bool = False) -> str:
    """``wsgi.get_current_url(environ)``: scheme, host, quoted script name and path, the
    query string (``get_query_string``), through ``uri_to_iri``."""
    url = [environ.get("wsgi.url_scheme", "http"), "://", get_host(environ)]
    url.append(url_quote(environ.get("SCRIPT_NAME", "").encode("latin1")).rstrip("/"))
    url.append("/")
    url.append(url_quote(environ.get("PATH_INFO", "").encode("latin1").lstrip(b"/")))
    query = url_quote(environ.get("QUERY_STRING", "").encode("latin1"), safe=":&%=+$!*'(),")
    if query and not strip_querystring:
        url.append("?" + query)
    return uri_to_iri("".join(url))


#: ``urls._to_uri_safe``: reserved characters that stay as they are in a URI
_TO_URI_SAFE = ":/?#[]@!$&'()*+,;=%"


def encode_idna(host: str) -> str:
    """``_internal._encode_idna``: an ASCII name as it is, any other one label by label
    through the ``idna`` codec (a UnicodeError where it refuses: ``Map.bind`` makes that a
    ``BadHost``, a 400)."""
    try:
        host.encode("ascii")
        return host
    except UnicodeError:
        pass
    return b".".join(part.encode("idna") for part in host.split(".")).decode("ascii")


def iri_to_uri(iri: str, safe_conversion: bool = False) -> str:
    """``urls.iri_to_uri`` of ``scheme://netloc/path?query`` or of a path: with
    ``safe_conversion``, an ASCII IRI without whitespace is returned as it is."""
    if safe_conversion and iri.isascii() and len(iri.split()) == 1:
        return iri
    scheme, netloc, path, query, fragment = url_parse(iri)
    url = "" if netloc is None else f"{scheme}://{_encode_netloc(netloc)}"
    url += quote(path, safe=_TO_URI_SAFE)
    if query:
        url += "?" + quote(query, safe=_TO_URI_SAFE)
    if fragment:
        url += "#" + quote(fragment, safe=_TO_URI_SAFE)
    return url


def absolute_location(location: str, environ: dict) -> str:
    """``BaseResponse.get_wsgi_headers`` with ``autocorrect_location_header``: the
    ``Location`` as a URI (``safe_conversion``), joined to the current URL without its query
    string, itself made a URI (the host to Punycode)."""
    current_url = iri_to_uri(get_current_url(environ, strip_querystring=True))
    return urljoin(current_url, iri_to_uri(location, safe_conversion=True))


@functools.lru_cache(maxsize=1024)
def _request_repr(method: str, scheme: str, host: str | None, server_name: str | None,
                  server_port: str | None, script_name: str, path_info: str, query: str) -> str:
    environ = {"wsgi.url_scheme": scheme, "SERVER_NAME": server_name, "SERVER_PORT": server_port,
               "SCRIPT_NAME": script_name, "PATH_INFO": path_info, "QUERY_STRING": query}
    if host is not None:
        environ["HTTP_HOST"] = host
    try:
        return f"<Request '{get_current_url(environ)}' [{method.upper()}]>"
    except Exception:  # BaseRequest.__repr__ shows this instead
        return "<Request (invalid WSGI environ)>"


def request_repr(environ: dict) -> str:
    """``repr(Request(environ))`` of 0.16: ``"<Request '%s' [%s]>" % (url, method)``."""
    return _request_repr(environ.get("REQUEST_METHOD", "GET"), environ.get("wsgi.url_scheme", "http"),
                         environ.get("HTTP_HOST"), environ.get("SERVER_NAME"), environ.get("SERVER_PORT"),
                         environ.get("SCRIPT_NAME") or "", environ.get("PATH_INFO") or "",
                         environ.get("QUERY_STRING", ""))
