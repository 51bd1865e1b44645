# Production-like image: gunicorn serves the app, WhiteNoise its static files.
FROM node:20-bookworm-slim AS assets
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=studio.settings_production
WORKDIR /app
# pg_dump and pg_restore for the nightly backup (docs/operations.md), the server's major version.
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt
COPY --from=assets /app/node_modules ./node_modules
COPY . .
RUN DJANGO_SECRET_KEY=build-only DJANGO_ALLOWED_HOSTS=build python manage.py collectstatic --noinput \
    && mkdir -p /app/var/media /app/var/backups \
    && useradd --system --home /app studio && chown -R studio /app/var /app/staticfiles
USER studio
EXPOSE 8000
CMD ["gunicorn", "studio.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
