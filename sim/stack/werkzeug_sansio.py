"""``werkzeug.sansio``: what ``repr(request)`` shows (``<Request 'http://x/' [GET]>``).

The WSGI environ holds the request object from the moment Flask makes it
(``werkzeug.wrappers.Request.__init__`` sets ``environ["werkzeug.request"]``), and the
inspector shows it the way Python prints it, so its URL is built here as Werkzeug 3.1.9
builds ``Request.url``: ``get_host`` (the ``Host`` header, else ``SERVER_NAME:SERVER_PORT``;
characters checked by ``host_is_trusted``, an invalid host is empty) and
``get_current_url``. Read beside ``werkzeug/sansio/utils.py`` and ``sansio/request.py``.
"""

from __future__ import annotations

import functools
import re
from urllib.parse import quote

from .werkzeug_serving import uri_to_iri

#: ``werkzeug.sansio.utils._host_re``
_host_re = re.compile(
    r"""
    (
        [a-z0-9.-]+  # domain or ipv4
    |
        \[[a-f0-9]*:[a-f0-9.:]+]  # ipv6
    )
    (?::([1-9][0-9]{,4}))?  # optional port
    """,
    flags=re.ASCII | re.IGNORECASE | re.VERBOSE,
)


def host_is_trusted(hostname: str | None) -> bool:
    """``host_is_trusted(hostname, None)``: only the characters and the port are checked."""
    if not hostname:
        return False
    if (m := _host_re.fullmatch(hostname)) is None:
        return False
    port_str = m.group(2)
    return not (port_str and not 1 <= int(port_str) <= 65535)


def get_host(scheme: str, host_header: str | None, server: tuple[str, int | None] | None) -> str:
    if host_header is not None:
        host = host_header
    elif server is not None and server[1] is not None:
        host = server[0]
        if ":" in host and host[0] != "[":
            host = f"[{host}]"
        host = f"{host}:{server[1]}"
    else:
        return ""
    if scheme in {"http", "ws"}:
        host = host.removesuffix(":80")
    elif scheme in {"https", "wss"}:
        host = host.removesuffix(":443")
    if not host_is_trusted(host):
        return ""  # invalid characters: treated as empty
    return host


def get_current_url(scheme: str, host: str, root_path: str, path: str, query_string: bytes) -> str:
    url = [scheme, "://", host]
    url.append(quote(root_path.rstrip("/"), safe="!$&'()*+,/:;=@%"))
    url.append("/")
    url.append(quote(path.lstrip("/"), safe="!$&'()*+,/:;=@%"))
    if query_string:
        url.append("?")
        url.append(quote(query_string, safe="!$&'()*+,/:;=?@%"))
    return uri_to_iri("".join(url))


def _wsgi_decoding_dance(text: str) -> str:
    return text.encode("latin1").decode(errors="replace")


def _get_server(name: str | None, port: str | None) -> tuple[str, int | None] | None:
    """``werkzeug.wsgi._get_server``."""
    if name is None:
        return None
    try:
        return name, int(port)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return name, None


@functools.lru_cache(maxsize=1024)
def _request_repr(method: str, scheme: str, host_header: str | None, server_name: str | None,
                  server_port: str | None, script_name: str, path_info: str, query: str) -> str:
    root_path = _wsgi_decoding_dance(script_name).rstrip("/")
    path = "/" + _wsgi_decoding_dance(path_info).lstrip("/")
    try:
        host = get_host(scheme, host_header, _get_server(server_name, server_port))
        url = get_current_url(scheme, host, root_path, path, query.encode("latin1"))
    except Exception as e:  # Request.__repr__ shows what went wrong instead
        url = f"(invalid URL: {e})"
    return f"<Request {url!r} [{method.upper()}]>"


def request_repr(environ: dict) -> str:
    """``repr(Request(environ))`` (Flask's ``Request`` is named ``Request`` too)."""
    return _request_repr(environ.get("REQUEST_METHOD", "GET"), environ.get("wsgi.url_scheme", "http"),
                         environ.get("HTTP_HOST"), environ.get("SERVER_NAME"), environ.get("SERVER_PORT"),
                         environ.get("SCRIPT_NAME") or "", environ.get("PATH_INFO") or "",
                         environ.get("QUERY_STRING", ""))
