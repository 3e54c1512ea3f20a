"""Which hosts outbound HTTP may reach: an allow-list from the settings (``http_allowed_hosts``).

Entries are ``*`` (any host whose addresses are not denied), host names (``quotes.example``, matched
case-insensitively), ``*.suffix`` (any host under ``suffix``, not ``suffix`` itself), IP addresses and CIDR
networks (``10.0.0.0/8``). Loopback, link-local (``169.254.0.0/16``, ``fe80::/10``), unspecified and
multicast addresses are denied unless an IP or network entry covers them: a host name never opens them.

The check runs where the connection is made (:meth:`HostPolicy.create_connection`): the host is resolved,
every address it resolves to is checked, and the socket connects to those checked addresses only, so a DNS
answer that changes between check and connect (rebinding) and a redirect to another host are checked too.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Iterable, Sequence

from marketjobs.errors import ConfigError, OutboundRefused

__all__ = ["HostPolicy", "denied_kind"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
_LABEL = r"[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?"
_HOST_NAME = re.compile(rf"^{_LABEL}(\.{_LABEL})*\.?$")


def denied_kind(address: IPAddress) -> str | None:
    """Why ``address`` is denied unless listed ("loopback", "link-local", ...), None for other addresses."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    for kind, denied in (
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("unspecified", address.is_unspecified or address in ipaddress.ip_network("0.0.0.0/8")),
        ("multicast", address.is_multicast),
    ):
        if denied:
            return kind
    return None


def _address(text: str) -> IPAddress:
    return ipaddress.ip_address(text.split("%", 1)[0])  # drop an IPv6 zone ("fe80::1%eth0")


class HostPolicy:
    """The allow-list of outbound hosts (see the module docstring); ConfigError for a malformed entry."""

    def __init__(self, entries: Iterable[str]) -> None:
        self.entries = list(entries)
        self.any_host = False
        self._names: set[str] = set()
        self._suffixes: list[str] = []
        self._networks: list[IPNetwork] = []
        for entry in self.entries:
            self._add(entry.strip().lower(), entry)

    def _add(self, entry: str, given: str) -> None:
        if entry == "*":
            self.any_host = True
            return
        try:
            self._networks.append(ipaddress.ip_network(entry, strict=False))
            return
        except ValueError:
            pass
        name = entry[2:] if entry.startswith("*.") else entry
        if "/" in entry or not _HOST_NAME.match(name) or name.replace(".", "").isdigit():
            raise ConfigError(
                f"http_allowed_hosts entry {given!r} is not '*', a host name, '*.domain', an IP address or "
                "a CIDR network such as 10.0.0.0/8; fix it in the settings"
            )
        (self._suffixes.append("." + name.rstrip(".")) if entry.startswith("*.") else self._names.add(name))

    def _covered(self, address: IPAddress) -> bool:
        mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
        return any(a in net for net in self._networks for a in (address, mapped) if a is not None)

    def _named(self, host: str) -> bool:
        host = host.lower().rstrip(".")
        return self.any_host or host in self._names or any(host.endswith(s) for s in self._suffixes)

    def check(self, host: str, addresses: Sequence[str]) -> None:
        """Raises OutboundRefused unless every one of ``addresses`` (what ``host`` resolves to) is allowed."""
        for text in addresses:
            address = _address(text)
            covered, kind = self._covered(address), denied_kind(address)
            if kind is not None and not covered:
                raise OutboundRefused(
                    f"refused {host} ({address}): a {kind} address; add {address} (or its network) to "
                    "http_allowed_hosts in the settings to reach it"
                )
            if kind is None and not covered and not self._named(host):
                listed = ", ".join(self.entries) or "none"
                raise OutboundRefused(
                    f"refused {host} ({address}): not in http_allowed_hosts ({listed}); add the host to "
                    "http_allowed_hosts in the settings to reach it"
                )

    def create_connection(
        self,
        address: tuple[str, int],
        timeout: float | object = None,
        source_address: tuple[str, int] | None = None,
    ) -> socket.socket:
        """:func:`socket.create_connection` after :meth:`check` of every address the host resolves to."""
        host, port = address
        infos = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
        self.check(host, [str(info[4][0]) for info in infos])
        error: OSError | None = None
        for family, kind, proto, _, sockaddr in infos:
            sock = socket.socket(family, kind, proto)
            try:
                if isinstance(timeout, int | float):
                    sock.settimeout(timeout)
                if source_address:
                    sock.bind(source_address)
                sock.connect(sockaddr)
                return sock
            except OSError as exc:
                sock.close()
                error = exc
        raise error or OSError(f"{host} resolves to no address")
