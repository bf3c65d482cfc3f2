"""Who is knocking: the client address that login protection counts failures against.

The address is `REMOTE_ADDR`, unless the site runs behind `API_NUM_PROXIES` trusted proxies
(the same setting the API's login throttle uses): then it is that many hops from the right of
`X-Forwarded-For`, which a client cannot forge past its own proxy.
"""

from django.conf import settings


def client_ip(request) -> str:
    proxies = settings.REST_FRAMEWORK.get("NUM_PROXIES") or 0
    remote = request.META.get("REMOTE_ADDR", "") or ""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-min(proxies, len(hops))]
    return remote
