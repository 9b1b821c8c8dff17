FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    CLAIMTRACK_VAR_DIR=/app/var
WORKDIR /app

RUN useradd --system --create-home --uid 1000 claimtrack
COPY pyproject.toml README.md ./
COPY claims ./claims
COPY config ./config
COPY manage.py ./
RUN pip install --no-cache-dir . \
    && CLAIMTRACK_ENV=production ALLOWED_HOSTS=build SECRET_KEY=build-time-only-key-never-used-to-serve \
       DATABASE_URL=sqlite:////tmp/build.sqlite3 python manage.py collectstatic --no-input \
    && mkdir -p /app/var && chown -R claimtrack /app/var

USER claimtrack
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "-c", "config/gunicorn.conf.py", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
