# Production image: gunicorn serves the web app; the same image runs the Celery worker and beat.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY relief/__init__.py relief/__init__.py
RUN pip install -c constraints.txt . && pip uninstall -y warmwinter
COPY . .
RUN useradd --system --home /app relief && mkdir -p /app/var && chown -R relief /app/var
USER relief
EXPOSE 8000
CMD ["gunicorn", "-c", "gunicorn.conf.py"]
