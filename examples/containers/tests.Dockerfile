# tests.Dockerfile: covsettle, built from this checkout, coverage.py for its
# combine and reports, pytest for the system tests, and curl for the restart:
# one call to the engine's API on its socket (mounted by compose.yaml) sends
# SIGHUP to the server container's gunicorn.
FROM debian:12-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
        build-essential pkg-config libinotifytools0-dev libsqlite3-dev \
        python3-coverage python3-pytest python3-requests curl \
 && rm -rf /var/lib/apt/lists/*
COPY . /src
RUN make -C /src all && install -m 0755 /src/build/covsettle /usr/local/bin/
# The reports need the sources at the paths the data files name:
# relative_files in .coveragerc makes them scorer/..., read from /app.
RUN cp -r /src/examples/gunicorn /app
WORKDIR /app
