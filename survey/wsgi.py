"""The production entry point: ``gunicorn -c gunicorn.conf.py survey.wsgi:app``.

Unlike ``demo`` and the tests, production refuses to start without a ``SECRET_KEY`` (a key made
up per process would sign cookies that the other processes reject) and sends cookies only over
HTTPS.
"""

from survey import create_app

app = create_app(production=True)
