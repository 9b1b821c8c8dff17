FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    CLAIMTRACK_VAR_DIR=/app/var
WORKDIR /app

RUN useradd --system --create-home --uid 1000 claimtrack
# The lock on its own layer: rebuilt when a pin changes, not with every change of the code.
COPY requirements/runtime.txt ./requirements/runtime.txt
RUN pip install --no-cache-dir --require-hashes -r requirements/runtime.txt
COPY pyproject.toml README.md manage.py ./
COPY claims ./claims
COPY config ./config
# Static files are collected with production settings, which refuse to load without a secret
# key, allowed hosts, a database, a broker and a cache. collectstatic connects to none of them,
# so the values below only satisfy those checks: placeholders on this one command, never in the
# image's environment, so a container started without the real values still refuses to start.
# tests/test_deployment.py runs this command with exactly these values.
RUN pip install --no-cache-dir --no-deps . \
    && CLAIMTRACK_ENV=production \
       SECRET_KEY=build-time-only-placeholder-key-never-used-to-serve-requests \
       ALLOWED_HOSTS=build.invalid \
       DATABASE_URL=sqlite:////tmp/build.sqlite3 \
       CELERY_BROKER_URL=redis://build.invalid:6379/0 \
       CACHE_URL=redis://build.invalid:6379/1 \
       python manage.py collectstatic --no-input \
    && mkdir -p /app/var && chown -R claimtrack /app/var

USER claimtrack
EXPOSE 8000
# Liveness of the web process (the default command); /health/ is answered before the host
# check, so any ALLOWED_HOSTS passes it. The worker and beat services set their own.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health/', timeout=4)"]
# Worker processes: WEB_CONCURRENCY (config/gunicorn.conf.py), the one place they are set.
CMD ["gunicorn", "config.wsgi:application", "-c", "config/gunicorn.conf.py", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
