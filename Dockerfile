# actiontrail for a real deployment: the web application, the read-model catch-up and
# the reminders scheduler each run from this one image (see compose.yaml).
FROM python:3.11-slim

# Pango for the PDF board papers (WeasyPrint); nothing else comes from the distribution.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 10001 actiontrail
WORKDIR /app
COPY pyproject.toml README.md ./
COPY domain ./domain
COPY engine ./engine
COPY projections ./projections
COPY notifiers ./notifiers
COPY config ./config
RUN pip install --no-cache-dir . && rm -rf /root/.cache

USER actiontrail
WORKDIR /home/actiontrail
ENV ACTIONTRAIL_LOG_FORMAT=json \
    ACTIONTRAIL_LOG_LEVEL=info \
    ACTIONTRAIL_FILES_DIR=/home/actiontrail/files \
    ACTIONTRAIL_OUTBOX_DIR=/home/actiontrail/outbox
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)" || exit 1
ENTRYPOINT ["actiontrail"]
CMD ["serve", "--web-only", "--host", "0.0.0.0", "--port", "8000"]
