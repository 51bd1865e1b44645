"""The client's address, read through the trusted proxies in front of the web (issue 18).

Without `STUDIO_TRUSTED_PROXIES` the address is REMOTE_ADDR and X-Forwarded-For is ignored: a
client writes what it likes there. Behind the TLS proxy REMOTE_ADDR is the proxy's, so the
setting names the proxies the studio trusts to append to X-Forwarded-For, either

    a count, "1" or "2": that many proxies stand in front; the client is the N-th address from
        the right of X-Forwarded-For (the nearest proxy is REMOTE_ADDR, each proxy appends the
        address it received from). Entries further left were sent by the client: never read.
    addresses, "10.0.0.5, 172.16.0.0/12": only when REMOTE_ADDR is one of them, X-Forwarded-For
        is walked from the right past the trusted addresses; the first other one is the client.

An address that does not parse falls back to REMOTE_ADDR. The login lockout (AXES_CLIENT_IP_CALLABLE),
the public complaint form's limit per address and the audit log all read `client_ip`.
"""
import ipaddress
from functools import lru_cache

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def parse_trusted_proxies(spec: str) -> int | tuple[Network, ...]:
    """"" -> 0 (no proxy); "2" -> 2; "10.0.0.5, 172.16.0.0/12" -> the networks."""
    spec = (spec or "").strip()
    if not spec:
        return 0
    if spec.isdigit():
        return int(spec)
    try:
        return tuple(ipaddress.ip_network(part.strip(), strict=False)
                     for part in spec.split(",") if part.strip())
    except ValueError as error:
        raise ImproperlyConfigured(
            f"STUDIO_TRUSTED_PROXIES={spec!r}: a count of proxies or a comma-separated list of "
            f"addresses or networks ({error})") from error


@checks.register(checks.Tags.security)
def check_trusted_proxies(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """`manage.py check` and `migrate` refuse a value that is neither a count nor addresses."""
    try:
        parse_trusted_proxies(getattr(settings, "STUDIO_TRUSTED_PROXIES", ""))
    except ImproperlyConfigured as error:
        return [checks.Error(str(error), id="studio.E018")]
    return []


def _address(value: str | None) -> str | None:
    """A bare IP address from REMOTE_ADDR or one X-Forwarded-For entry, or None. Tolerates a
    port ("1.2.3.4:5678", "[2001:db8::1]:443") as some proxies write it."""
    value = (value or "").strip()
    if not value:
        return None
    candidates = [value]
    if value.startswith("[") and "]" in value:
        candidates.append(value[1:value.index("]")])
    elif value.count(":") == 1:
        candidates.append(value.split(":", 1)[0])
    for candidate in candidates:
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            continue
    return None


def _forwarded_for(request: HttpRequest) -> list[str]:
    # Several X-Forwarded-For headers reach META joined with commas, in order.
    return [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()]


def _trusted(address: str, networks: tuple[Network, ...]) -> bool:
    ip = ipaddress.ip_address(address)
    return any(ip.version == network.version and ip in network for network in networks)


def client_ip(request: HttpRequest) -> str | None:
    """The address of whoever sent the request, as the trusted proxies saw it."""
    remote = _address(request.META.get("REMOTE_ADDR"))
    trusted = parse_trusted_proxies(getattr(settings, "STUDIO_TRUSTED_PROXIES", ""))
    if not trusted or remote is None:
        return remote
    chain = _forwarded_for(request)
    if not chain:  # came straight to the web (a health check on the host): no proxy hop
        return remote
    if isinstance(trusted, int):
        # The rightmost `trusted` entries were written by the proxies; if the chain is shorter,
        # its leftmost entry was still written by one of them.
        return _address(chain[-trusted] if len(chain) >= trusted else chain[0]) or remote
    if not _trusted(remote, trusted):  # not from a trusted proxy: its header is the client's own
        return remote
    for entry in reversed(chain):
        address = _address(entry)
        if address is None:
            return remote
        if not _trusted(address, trusted):
            return address
    return _address(chain[0]) or remote  # every hop trusted: the farthest one
