# One image for every Followthrough service: worker, beat and web (receiver).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# The base image's pip and setuptools lag behind their security fixes.
RUN pip install --upgrade pip setuptools

WORKDIR /app
COPY pyproject.toml README.md constraints.txt ./
COPY config ./config
COPY connectors ./connectors
COPY worker ./worker
# constraints.txt holds the versions the test suite passed with; pyproject.toml only gives ranges.
RUN pip install -c constraints.txt '.[postgres,sentry]' \
    && useradd --system --uid 10001 --home-dir /var/lib/followthrough --create-home followthrough

# Never run as root: the receiver faces the network.
USER followthrough
# Beat keeps its schedule file here; the rest is stateless.
WORKDIR /var/lib/followthrough
# `followthrough serve` listens on HOST:PORT (command-line flags win).
ENV HOST=0.0.0.0 \
    PORT=8000
EXPOSE 8000
# For the default command (the receiver); docker-compose.yml gives worker and beat their own checks.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), timeout=3)"]
CMD ["followthrough", "serve"]
