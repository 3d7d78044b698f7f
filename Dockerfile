# The clinic app image: web (gunicorn), worker and beat (celery) all run from it.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    UV_PROJECT_ENVIRONMENT=/opt/venv PATH=/opt/venv/bin:$PATH

# WeasyPrint's system libraries and fonts.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
    libharfbuzz-subset0 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
RUN pip install --no-cache-dir uv==0.13.9
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev
COPY . .
# Built as production serves them: DEBUG off and the manifest storage, so staticfiles.json
# lists every hashed name (tests/clinic/test_static_manifest.py runs this very line).
RUN DEBUG=0 SECRET_KEY=collectstatic-only python manage.py collectstatic --no-input

RUN useradd --create-home clinic && mkdir -p /app/private && chown clinic /app/private
USER clinic
EXPOSE 8000
# The web container's check; worker and beat override it in docker-compose.yml.
HEALTHCHECK --interval=30s --timeout=10s --start-period=20s --retries=3 \
  CMD ["python", "-m", "clinic.common.healthcheck"]
CMD ["gunicorn", "clinic.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
