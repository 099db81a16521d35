# One image for every Python service in docker-compose.yml: the migration, web (gunicorn), Celery worker and beat,
# mail catcher. Each is started by scripts/service.sh (the entrypoint), as `make stack` starts them.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    XDG_CACHE_HOME=/tmp/cache \
    DJANGO_SETTINGS_MODULE=escalation.settings.production

# WeasyPrint (the PDF records) needs Pango; fonts for the PDFs.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt requirements-dev.txt ./
# aiosmtpd (pinned in requirements-dev.txt) runs the development mail catcher; nothing else from the dev set.
RUN pip install -r requirements.txt "$(grep -E '^aiosmtpd==' requirements-dev.txt)"

COPY . .
# Static files are collected now, into the image, with the manifest storage production serves them from.
RUN scripts/service.sh build

# Everything above belongs to root and is only read at run time: the app's user can change none of it.
RUN useradd --system --uid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin escalation
USER escalation

EXPOSE 8000
ENTRYPOINT ["/app/scripts/service.sh"]
CMD ["web"]
