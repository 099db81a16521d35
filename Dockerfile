# One image for every Python service in docker-compose.yml: web (gunicorn), Celery worker and beat, mail catcher.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
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
RUN useradd --system --home /app escalation && mkdir -p /app/staticfiles && chown escalation /app/staticfiles
USER escalation

EXPOSE 8000
CMD ["gunicorn", "escalation.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
