"""Host-based access control with ``hosts.allow`` / ``hosts.deny`` semantics (hosts_access(5)).

What DCMTK's tools get from TCP wrappers (``+ac``), as pure functions usable by any acceptor:
access is granted when a (daemon, client) pair matches a rule of ``hosts.allow``, otherwise
denied when it matches a rule of ``hosts.deny``, otherwise granted. A missing file has no rules.

Rules are ``daemon_list : client_list [ : option ...]`` (options are ignored); ``#`` starts a
comment line, a backslash continues a line, lists are separated by commas or blanks and may use
``EXCEPT``. Client patterns: ``ALL``; ``LOCAL`` (a host name without a dot); ``KNOWN`` /
``UNKNOWN`` (the host name is / is not known); an exact address (``[v6]`` for IPv6); a prefix
``a.b.c.``; a network ``a.b.c.d/m.m.m.m``, ``a.b.c.d/len`` or ``[v6]/len``; a domain suffix
``.example.org``; a host name; ``*``/``?`` wildcards. Host-name patterns match only when the
caller resolved the peer's name (DCMTK's ``-dhl`` turns the lookup off). ``@netgroup`` and
``PARANOID`` never match.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Final

import attrs

from dicomnet._attrs_repr import attrs_repr

__all__ = [
    "ALLOW_PATH_ENV",
    "DENY_PATH_ENV",
    "AccessRule",
    "HostAccess",
    "client_matches",
    "parse_rules",
]

ALLOW_PATH_ENV: Final = "DICOMNET_HOSTS_ALLOW"
"""Environment variable replacing ``/etc/hosts.allow`` (tests, containers)."""
DENY_PATH_ENV: Final = "DICOMNET_HOSTS_DENY"
"""Environment variable replacing ``/etc/hosts.deny``."""

_MAX_FILE: Final = 1 << 20  # hosts files are small; read no more than this


@attrs.frozen(repr=False)
class AccessRule:
    """One rule: the daemon and client pattern lists (tokens, ``EXCEPT`` kept in place)."""

    __repr__ = attrs_repr

    daemons: tuple[str, ...]
    clients: tuple[str, ...]


def _split_fields(line: str) -> list[str]:
    """Split on ``:`` outside ``[...]`` (IPv6 addresses are bracketed)."""
    fields, depth, start = [], 0, 0
    for i, char in enumerate(line):
        if char == "[":
            depth += 1
        elif char == "]":
            depth = max(depth - 1, 0)
        elif char == ":" and depth == 0:
            fields.append(line[start:i])
            start = i + 1
    fields.append(line[start:])
    return fields


def _tokens(field: str) -> tuple[str, ...]:
    return tuple(t for t in field.replace(",", " ").split() if t)


def parse_rules(text: str) -> tuple[AccessRule, ...]:
    """The rules of one hosts.allow/hosts.deny file; malformed lines are skipped."""
    rules: list[AccessRule] = []
    pending = ""
    for raw in text.splitlines():
        if raw.endswith("\\"):
            pending += raw[:-1] + " "
            continue
        line, pending = (pending + raw).strip(), ""
        if not line or line.startswith("#"):
            continue
        fields = _split_fields(line)
        if len(fields) < 2:
            continue
        daemons, clients = _tokens(fields[0]), _tokens(fields[1])
        if daemons and clients:
            rules.append(AccessRule(daemons, clients))
    return tuple(rules)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        addr = ipaddress.ip_address(text.strip("[]").split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    return addr


def _network_matches(pattern: str, address: str) -> bool:
    net_text, _, mask = pattern.partition("/")
    addr = _address(address)
    if addr is None:
        return False
    try:
        if net_text.startswith("["):
            network = ipaddress.ip_network(f"{net_text.strip('[]')}/{mask}", strict=False)
        elif "." in mask:
            network = ipaddress.IPv4Network(f"{net_text}/{mask}", strict=False)
        else:
            network = ipaddress.ip_network(f"{net_text}/{mask}", strict=False)
    except ValueError:
        return False
    return addr.version == network.version and addr in network


def client_matches(pattern: str, address: str, hostname: str | None) -> bool:
    """Whether one client pattern matches the peer ``address`` (and its resolved ``hostname``)."""
    upper = pattern.upper()
    name = hostname.lower() if hostname else None
    addr = _address(address)
    canonical = str(addr) if addr is not None else address
    if upper == "ALL":
        return True
    if upper == "LOCAL":
        return name is not None and "." not in name
    if upper == "KNOWN":
        return name is not None
    if upper == "UNKNOWN":
        return name is None
    if upper == "PARANOID" or pattern.startswith("@"):
        return False
    if "/" in pattern:
        return _network_matches(pattern, address)
    if pattern.startswith("["):
        wanted = _address(pattern)
        return wanted is not None and wanted == addr
    if any(c in pattern for c in "*?"):
        return fnmatch.fnmatchcase(canonical, pattern) or (
            name is not None and fnmatch.fnmatchcase(name, pattern.lower())
        )
    if pattern.endswith("."):
        return canonical.startswith(pattern)
    if pattern.startswith("."):
        return name is not None and name.endswith(pattern.lower())
    wanted = _address(pattern)
    if wanted is not None:
        return wanted == addr
    return name is not None and name == pattern.lower().rstrip(".")


def _list_matches(tokens: Sequence[str], match: Callable[[str], bool]) -> bool:
    """``a b EXCEPT c d EXCEPT e``: a match of the head not excepted by the (recursive) rest."""
    upper = [t.upper() for t in tokens]
    if "EXCEPT" in upper:
        cut = upper.index("EXCEPT")
        return _list_matches(tokens[:cut], match) and not _list_matches(tokens[cut + 1 :], match)
    return any(match(token) for token in tokens)


def _rule_matches(rule: AccessRule, daemon: str, address: str, hostname: str | None) -> bool:
    def daemon_match(token: str) -> bool:
        return token.upper() == "ALL" or token == daemon

    def client_match(token: str) -> bool:
        return client_matches(token, address, hostname)

    return _list_matches(rule.daemons, daemon_match) and _list_matches(rule.clients, client_match)


def _read_rules(path: Path) -> tuple[AccessRule, ...]:
    try:
        with path.open("rb") as stream:
            data = stream.read(_MAX_FILE)
    except OSError:
        return ()  # like TCP wrappers: a missing or unreadable file has no rules
    return parse_rules(data.decode("utf-8", "replace"))


@attrs.frozen(repr=False)
class HostAccess:
    """The rules of ``hosts.allow`` and ``hosts.deny``; :meth:`permits` decides one peer."""

    __repr__ = attrs_repr

    allow: tuple[AccessRule, ...] = ()
    deny: tuple[AccessRule, ...] = ()

    @classmethod
    def load(
        cls,
        allow_path: str | os.PathLike[str] | None = None,
        deny_path: str | os.PathLike[str] | None = None,
    ) -> HostAccess:
        """Read the two files (default ``/etc/hosts.allow``/``/etc/hosts.deny``, or the paths in
        :data:`ALLOW_PATH_ENV`/:data:`DENY_PATH_ENV`)."""
        allow = allow_path or os.environ.get(ALLOW_PATH_ENV) or "/etc/hosts.allow"
        deny = deny_path or os.environ.get(DENY_PATH_ENV) or "/etc/hosts.deny"
        return cls(_read_rules(Path(allow)), _read_rules(Path(deny)))

    def permits(self, daemon: str, address: str, hostname: str | None = None) -> bool:
        """Allow rules first, then deny rules, else allow (hosts_access(5))."""
        if any(_rule_matches(rule, daemon, address, hostname) for rule in self.allow):
            return True
        return not any(_rule_matches(rule, daemon, address, hostname) for rule in self.deny)
