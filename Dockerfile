# wsgiscope web player: `docker compose up` (see docker-compose.yml), then http://127.0.0.1:8000
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    WSGISCOPE_DB=/data/wsgiscope.sqlite3

WORKDIR /app

# Runtime dependencies first, so code changes don't reinstall them.
COPY requirements.txt constraints.txt ./
RUN pip install -r requirements.txt

COPY sim ./sim
COPY backend ./backend
# Werkzeug 0.16.1 / Flask 1.1.4 wheels, unpacked as text for the legacy source pane (never imported)
COPY requirements-legacy.txt ./
RUN python -m backend.legacy_source
COPY frontend ./frontend
COPY gallery ./gallery

# Run as a non-root user; the SQLite file of share links lives in /data (a volume).
RUN useradd --uid 10001 --no-create-home --shell /usr/sbin/nologin --home-dir /app wsgiscope \
    && mkdir -p /data \
    && chown wsgiscope /data
USER wsgiscope
VOLUME ["/data"]

EXPOSE 8000
CMD ["python", "-m", "backend", "--host", "0.0.0.0", "--port", "8000"]
