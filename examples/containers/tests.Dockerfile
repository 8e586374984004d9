# tests.Dockerfile: covsettle, built from this checkout, coverage.py for its
# combine and reports, pytest for the system tests, and the docker command
# for the restart (the engine's socket is mounted by compose.yaml).
FROM debian:12-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
        build-essential pkg-config libinotifytools0-dev libsqlite3-dev \
        python3-coverage python3-pytest python3-requests docker.io \
 && rm -rf /var/lib/apt/lists/*
COPY . /src
RUN make -C /src all && install -m 0755 /src/build/covsettle /usr/local/bin/
# The reports need the sources at the paths the data files name:
# relative_files in .coveragerc makes them scorer/..., read from /app.
RUN cp -r /src/examples/gunicorn /app
WORKDIR /app
