"""gunicorn settings (used by the Dockerfile and docker-compose.yml: `gunicorn -c gunicorn.conf.py`).

The access log would carry ID and phone numbers in query strings (`GET /people/?q=<ID number>`):
the logger class below scrubs them (relief/log_scrub.py) from every access and error line."""

from gunicorn.glogging import Logger

from relief.log_scrub import ScrubFilter

wsgi_app = "relief.wsgi:application"
bind = "0.0.0.0:8000"
workers = 3
timeout = 120
accesslog = "-"
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"'


class ScrubbingLogger(Logger):
    """gunicorn's logger with every access and error line scrubbed of ID and mobile numbers."""

    def setup(self, cfg):
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            log.addFilter(ScrubFilter())


logger_class = ScrubbingLogger
