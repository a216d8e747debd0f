"""What rate limits read from the HTTP request; the counting is workflows.counters."""


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "")
