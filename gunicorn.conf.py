"""gunicorn settings for production: ``gunicorn -c gunicorn.conf.py survey.wsgi:app``.

Every setting can be overridden from the environment (GUNICORN_CMD_ARGS or the variables below).
The app keeps no state in process memory that another process needs (sessions are signed
cookies, everything else is in the database), so any number of workers and hosts can serve it.
"""

import multiprocessing
import os

bind = os.environ.get("SURVEY_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("SURVEY_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("SURVEY_THREADS", 2))
worker_class = "gthread"
timeout = 60
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then (a guard against slow leaks), staggered by the jitter. Not more
# often: a new worker spends about 0.1 s of CPU warming up (database connections, questionnaire,
# page caches), which at 2000 requests was 1% of a busy worker's time.
max_requests = 10000
max_requests_jitter = 1000
limit_request_line = 8190
limit_request_fields = 100
forwarded_allow_ips = os.environ.get("SURVEY_FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("SURVEY_LOG_LEVEL", "info")
# The app is loaded once, in the master, and every worker is forked from it: a worker that is
# recycled (max_requests) or replaced after a crash is serving again in milliseconds instead of
# the second and a half an import of the app takes, and the workers share its memory. The
# master never opens a database connection; each worker drops any pool it inherited
# (post_worker_init). New code needs a restart of the master, not a HUP.
preload_app = True


def post_worker_init(worker):  # type: ignore[no-untyped-def]
    """In each new worker: leave the database pools inherited from the master to it (a
    connection must never be shared by two processes), and keep the start-up objects (modules,
    templates, the ORM's mappings) out of the garbage collector's full collections, which would
    otherwise walk all of them again and again while serving."""
    import gc

    from survey.extensions import close_pools

    app = worker.wsgi
    if "sqlalchemy" in getattr(app, "extensions", {}):
        with app.app_context():
            close_pools(inherited=True)
    gc.freeze()
