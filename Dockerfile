# The enrolments processes (worker, api, migrate, setup-namespace) for docker-compose.yml or any
# container platform. Configure with TEMPORAL_* and ENROLMENTS_* variables (see the README).
FROM python:3.11.11-slim-bookworm

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
# Dependencies first, from pyproject.toml alone: a change to the sources reuses this layer.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt
COPY . .
RUN pip install --no-deps . \
    && useradd --system --uid 10001 --home-dir /data --create-home enrolments

# Runs from /data, not from the sources: the installed package is what runs.
USER enrolments
WORKDIR /data
ENV ENROLMENTS_DATA_DIR=/data \
    ENROLMENTS_API_HOST=0.0.0.0
EXPOSE 8000

ENTRYPOINT ["enrolments"]
CMD ["worker"]
