# One image for web, worker and beat: the command chooses the role (see docker-compose.yml).
FROM python:3.11-slim-bookworm

ARG UV_VERSION=0.13.9

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_NO_CACHE=1 \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    PATH=/app/.venv/bin:$PATH \
    DJANGO_SETTINGS_MODULE=config.settings.production

# WeasyPrint's runtime (Pango, HarfBuzz and its subsetting library, without which CJK
# PDFs take ten times longer), a CJK font so PDFs show Chinese on any host, fontconfig's
# fc-list for the alliance.W001 system check, curl for the health check, and pg_dump /
# pg_restore for the backup and restore commands (docs/operations.md).
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 \
        libpangoft2-1.0-0 \
        libharfbuzz0b \
        libharfbuzz-subset0 \
        fontconfig \
        fonts-noto-cjk \
        curl \
        postgresql-client \
    && rm -rf /var/lib/apt/lists/*

RUN pip install "uv==${UV_VERSION}"

RUN groupadd --gid 10001 app \
    && useradd --uid 10001 --gid app --home-dir /app --no-create-home --shell /usr/sbin/nologin app

WORKDIR /app

# Dependencies first, from the lock file only, so code changes do not reinstall them.
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project

COPY . .

# Production settings refuse to load without a real SECRET_KEY; collectstatic needs
# none, so it gets a throwaway one that lives only in this RUN step, not in the image.
RUN SECRET_KEY="collectstatic-only-build-time-key-not-used-at-runtime-$(date +%s%N)" \
        python manage.py collectstatic --noinput \
    && mkdir -p /app/media \
    && chown app:app /app/media

USER app

EXPOSE 8000

# WEB_CONCURRENCY sets the number of gunicorn workers; /dev/shm keeps the worker
# heartbeat off the container's overlay filesystem.
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--access-logfile", "-", "--worker-tmp-dir", "/dev/shm"]
