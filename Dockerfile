# One image for every service; compose.yaml picks the module to run (`python -m services.X` from /app).
# Runtime dependencies only, exactly as locked (hashes required, nothing resolved at build time).
FROM python:3.11-slim
WORKDIR /app
COPY requirements/runtime.txt ./requirements/runtime.txt
RUN pip install --no-cache-dir --no-deps --require-hashes -r requirements/runtime.txt
COPY contracts ./contracts
COPY domain ./domain
COPY infrastructure ./infrastructure
COPY services ./services
USER nobody
