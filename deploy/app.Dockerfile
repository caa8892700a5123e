# syntax=docker/dockerfile:1
# The app side (Python 3.11): the gateway and the action server, one image, two commands
# (deploy/compose.yml, deploy/k8s/). Build from the repository root once `make model` has
# trained the models; deploy/app.Dockerfile.dockerignore keeps the virtual environments,
# var/ and .git out of the build context:
#   docker build -f deploy/app.Dockerfile -t edu-assistant-app .
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONPATH=/app \
    HOME=/home/app \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    TOKENIZERS_PARALLELISM=false \
    SANIC_GRACEFUL_SHUTDOWN_TIMEOUT=5 \
    FORWARDED_ALLOW_IPS=10.0.0.0/8,172.16.0.0/12,192.168.0.0/16

RUN useradd --create-home --uid 10001 --user-group app
WORKDIR /app

# The lock is complete (pip freeze), hence --no-deps. Its torch==2.13.0 is the CPU build:
# PyTorch's CPU index has it as 2.13.0+cpu, which satisfies the pin and which pip prefers
# to PyPI's CUDA build of the same version.
COPY requirements/app.lock requirements/app.lock
RUN pip install --no-deps --extra-index-url https://download.pytorch.org/whl/cpu \
        -r requirements/app.lock

# The code stays root's (read-only to the app user). The gateway also reads the training
# data and the held-out NLU split (the console's training export: server/staff/inbox_export.py).
COPY actions/ actions/
COPY bot/ bot/
COPY knowledge/ knowledge/
COPY nlu_data/ nlu_data/
COPY server/ server/
COPY tests/nlu/ tests/nlu/
# The retrieval model built by `make model` (int8 ONNX and its SentencePiece tokenizer: the
# processes need no PyTorch at run time), owned by the app user, who must read it.
COPY --chown=app:app models/e5-small-edu-int8/ models/e5-small-edu-int8/

USER 10001
EXPOSE 8000 5055

# The gateway. The action server runs the same image with
#   python -m rasa_sdk --actions actions --port 5055
# uvicorn trusts X-Forwarded-* only from FORWARDED_ALLOW_IPS, the private networks where
# the load balancer or the ingress controller is (set it in the container's environment
# if the cluster's pods are elsewhere). After SIGTERM, in-flight requests get 5 s to finish:
# uvicorn's --timeout-graceful-shutdown here, SANIC_GRACEFUL_SHUTDOWN_TIMEOUT for the
# action server.
CMD ["python", "-m", "uvicorn", "server.main:app", "--host", "0.0.0.0", "--port", "8000", \
     "--proxy-headers", "--timeout-graceful-shutdown", "5"]
