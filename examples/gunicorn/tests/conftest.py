# conftest.py: the system tests talk HTTP to a running scorer: SERVER_URL
# (run.sh sets it after start_server). They never start a server themselves.
import os

import pytest
import requests


@pytest.fixture(scope="session")
def api():
    url = os.environ.get("SERVER_URL")
    if not url:
        pytest.exit("SERVER_URL is not set: run these tests through run.sh", 2)
    with requests.Session() as s:
        def post(path, payload):
            return s.post(url + path, json=payload, timeout=30)
        post.url = url
        yield post
