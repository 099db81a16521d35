import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "escalation.settings.local")
application = get_wsgi_application()

# A web server (gunicorn, or runserver outside `manage.py serve`) with nothing to sweep deadlines must not start.
from escalation.checks import refuse_to_serve_unswept  # noqa: E402 - needs Django set up

refuse_to_serve_unswept()
