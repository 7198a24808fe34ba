# One image for every Followthrough service: worker, beat and web (receiver).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY config ./config
COPY connectors ./connectors
COPY worker ./worker
RUN pip install '.[service]' \
    && useradd --system --uid 10001 --home-dir /var/lib/followthrough --create-home followthrough

USER followthrough
# Beat keeps its schedule file here; the rest is stateless.
WORKDIR /var/lib/followthrough
EXPOSE 8000
CMD ["followthrough", "serve", "--host", "0.0.0.0", "--port", "8000"]
