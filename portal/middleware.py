"""Request-wide context for the audit log: where the request came from."""

from requests_app.audit import Origin, current_origin


class AuditOriginMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Behind a proxy, configure it to set REMOTE_ADDR (e.g. gunicorn --forwarded-allow-ips)
        # rather than trusting a client-supplied X-Forwarded-For here.
        token = current_origin.set(Origin(source_ip=request.META.get("REMOTE_ADDR") or None))
        try:
            return self.get_response(request)
        finally:
            current_origin.reset(token)
