"""``werkzeug.urls`` (3.1): ``iri_to_uri``, which ``Response.get_wsgi_headers`` runs on every
``Location`` and ``Content-Location`` header, so a redirect to a path or query string with
non-ASCII or unsafe characters (a view's ``Location``, or a strict-slash redirect keeping the
request's query string) goes out percent-encoded (UTF-8), the host in Punycode.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit, urlunsplit


def iri_to_uri(iri: str) -> str:
    """``iri_to_uri``: each part quoted with what the URL standard lets it keep (and ``%``,
    for what is quoted already); the host IDNA-encoded, lower-cased by ``urlsplit``."""
    parts = urlsplit(iri)
    path = quote(parts.path, safe="%!$&'()*+,/:;=@")
    query = quote(parts.query, safe="%!$&'()*+,/:;=?@")
    fragment = quote(parts.fragment, safe="%!#$&'()*+,/:;=?@")
    netloc = parts.hostname.encode("idna").decode("ascii") if parts.hostname else ""
    if ":" in netloc:
        netloc = f"[{netloc}]"
    if parts.port is not None:
        netloc = f"{netloc}:{parts.port}"
    if parts.username is not None:
        auth = quote(parts.username, safe="%!$&'()*+,;=")
        if parts.password is not None:
            password = quote(parts.password, safe="%!$&'()*+,;=")
            auth = f"{auth}:{password}"
        netloc = f"{auth}@{netloc}"
    return urlunsplit((parts.scheme, netloc, path, query, fragment))
