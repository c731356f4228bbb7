# The Armory Agent Control API as a container: `armory-agents serve`, the API on port 8000
# and Socket.io beside it on 8001 (the API's port + 1). The same image runs the CLI's other
# commands (`migrate`, `seed-demo`) and the WAP stub: compose.yaml shows each. Settings are
# environment variables (README, "Settings"); the image sets none of them.
# tests/integration/test_container_image.py lints this file with hadolint.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

WORKDIR /app

# The service reads openapi.yaml, migrations/ and contracts/ beside its packages (paths
# relative to the repository, not package data), so it is installed editable from this
# copy of the repository: the code stays where those paths lead. No extras: no test or
# lint tools in the image.
COPY pyproject.toml openapi.yaml ./
COPY contracts/ contracts/
COPY migrations/ migrations/
COPY service/ service/
COPY wap_stub/ wap_stub/
COPY supertokens_stub/ supertokens_stub/
RUN pip install --no-cache-dir --editable . \
    && groupadd --gid 10001 armory \
    && useradd --no-log-init --create-home --uid 10001 --gid armory armory \
    && mkdir var \
    && chown armory:armory var

# The code belongs to root and is read-only to the service; under /app it may write only
# to var/ (the default SQLite file when DATABASE_URL is unset). A numeric user, so that
# orchestrators can check it is not root (Kubernetes' runAsNonRoot).
USER 10001:10001

EXPOSE 8000 8001

# Slim images have no curl: the probe is Python's own urllib (a non-2xx answer or no
# answer raises, and so exits 1). The port is the one CMD serves on.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]

ENTRYPOINT ["armory-agents"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
