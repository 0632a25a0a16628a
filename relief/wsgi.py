import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "relief.settings")
application = get_wsgi_application()

# Without a broker, this web process runs jobs in threads of its own (relief/jobs/watch.py).
from relief.jobs.watch import serve  # noqa: E402

serve()
