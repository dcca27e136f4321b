# One image for every service; compose.yaml picks the module to run.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml ./
COPY contracts ./contracts
COPY domain ./domain
COPY infrastructure ./infrastructure
COPY services ./services
RUN pip install --no-cache-dir .
USER nobody
