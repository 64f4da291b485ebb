"""``python -m backend [--host 127.0.0.1] [--port 8000]``: serve the web UI with uvicorn."""

from __future__ import annotations

import argparse

import uvicorn


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m backend", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default %(default)s)")
    parser.add_argument("--port", type=int, default=8000, help="port (default %(default)s)")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)
    ensure_legacy_source()
    uvicorn.run("backend.app:create_app", factory=True, host=args.host, port=args.port,
                workers=args.workers, log_level=args.log_level, access_log=False)


def ensure_legacy_source() -> None:
    """The source pane of ``werkzeug-legacy`` scenarios shows Werkzeug 0.16.1 / Flask 1.1.4,
    read from their pinned wheels: fetch them (pip download, once) if they are not here.
    Without network the app still runs; that pane says the files are missing."""
    from . import legacy_source

    try:
        legacy_source.site_packages()
    except legacy_source.LegacySourceMissing:
        try:
            print("fetching the Werkzeug 0.16.1 / Flask 1.1.4 wheels for the source pane ...", flush=True)
            legacy_source.fetch_wheels()
        except Exception as err:  # no network, no pip: the rest of the app works
            print(f"could not fetch them ({err}); legacy scenarios will show no library source")


if __name__ == "__main__":
    main()
