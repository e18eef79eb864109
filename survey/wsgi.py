"""The production entry point: ``gunicorn -c gunicorn.conf.py survey.wsgi:app``.

Unlike ``demo`` and the tests, production refuses to start without a ``SECRET_KEY`` (a key made
up per process would sign cookies that the other processes reject) and sends cookies only over
HTTPS.
"""

from flask import Flask

from survey import create_app


def compile_templates(app: Flask) -> None:
    """Compile every page template once, here: gunicorn loads this module in its master and forks
    every worker from it (``preload_app``), so each worker, and each one that replaces a recycled
    worker, starts with them compiled instead of spending half a second of CPU on its first
    pages (the GOV.UK Frontend macros most of all)."""
    for name in app.jinja_env.list_templates(filter_func=lambda name: name.endswith(".html")):
        app.jinja_env.get_template(name)


app = create_app(production=True)
compile_templates(app)
