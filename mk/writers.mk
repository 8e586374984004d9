# mk/writers.mk: what the writer-evidence system tests
# (tests/system/test_evidence.py) run for real: a gunicorn worker renamed
# by setproctitle, uWSGI's embedded Python, namespaces (unshare), another
# user (setpriv, useradd).
DEPS += gunicorn python3-setproctitle uwsgi-core uwsgi-plugin-python3 \
	util-linux passwd
