# server.Dockerfile: the scorer service of examples/gunicorn under gunicorn;
# gunicorn.conf.py's post_fork starts coverage.py in each worker from
# $SCORER_COVERAGE_RC and worker_exit saves its data file into /cov.
FROM debian:12-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
        gunicorn python3-flask python3-coverage procps \
 && rm -rf /var/lib/apt/lists/*
COPY examples/gunicorn/ /app/
WORKDIR /app
RUN mkdir -p /run/scorer /cov
# pid 1 is gunicorn's master, so the engine's kill (run.sh) reaches it; it
# listens on all addresses of the container (the config's 127.0.0.1:0 is
# for the one-machine example).
CMD ["gunicorn", "-c", "gunicorn.conf.py", "--bind", "0.0.0.0:8000", \
     "scorer.web:app"]
