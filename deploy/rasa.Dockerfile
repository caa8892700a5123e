# syntax=docker/dockerfile:1
# Rasa 3.6.21 (Python 3.10) serving the trained model, as `python -m server.stack` starts it
# but with the scale-out endpoints (PostgreSQL tracker store, Redis lock store). Build from
# the repository root once `make model` has trained models/current.tar.gz:
#   docker build -f deploy/rasa.Dockerfile -t edu-assistant-rasa .
# SANIC_GRACEFUL_SHUTDOWN_TIMEOUT: in-flight requests get 5 s after SIGTERM (Sanic: 15 s).
# SQL_POOL_SIZE, SQL_MAX_OVERFLOW: at most 20 connections to the tracker database per
# replica (Rasa's own default is 150).
FROM python:3.10-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONPATH=/app \
    HOME=/home/app \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    RASA_TELEMETRY_ENABLED=false \
    TF_CPP_MIN_LOG_LEVEL=3 \
    SANIC_GRACEFUL_SHUTDOWN_TIMEOUT=5 \
    SQL_POOL_SIZE=10 \
    SQL_MAX_OVERFLOW=10

RUN useradd --create-home --uid 10001 --user-group app
WORKDIR /app

COPY requirements/rasa.lock requirements/rasa.lock
RUN pip install --no-deps -r requirements/rasa.lock

# The Vietnamese NLU components (bot/components) and the masking tracker store
# (bot/tracker_store.py) import knowledge/ and server/core/privacy.py.
COPY bot/ bot/
COPY knowledge/ knowledge/
COPY server/ server/
COPY models/current.tar.gz models/current.tar.gz

USER 10001
EXPOSE 5005

# RASA_TOKEN closes Rasa's HTTP API (trackers, events); an empty one would leave it open,
# so the container refuses to start without it. `exec` makes Rasa PID 1: it gets SIGTERM.
CMD ["sh", "-c", ": \"${RASA_TOKEN:?RASA_TOKEN must be set}\"; exec rasa run --model models/current.tar.gz --enable-api --auth-token \"$RASA_TOKEN\" --port 5005 --endpoints bot/endpoints.scale.yml --credentials bot/credentials.yml"]
