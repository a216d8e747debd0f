"""A name server standing in for the internet's: the tests run without network, and a webhook's
host name must resolve before it is accepted. Names it does not know resolve as this machine's
resolver says (localhost to 127.0.0.1)."""

import socket


class FakeDns:
    def __init__(self, real=socket.getaddrinfo) -> None:
        self.names: dict[str, list[str]] = {}
        self._real = real

    def add(self, name: str, *addresses: str) -> None:
        self.names[name.lower().rstrip(".")] = list(addresses)

    def getaddrinfo(self, host, port, family=0, type=0, proto=0, flags=0):  # noqa: A002
        name = host.decode() if isinstance(host, bytes) else str(host)
        addresses = self.names.get(name.lower().rstrip("."))
        if addresses is None:
            return self._real(host, port, family, type, proto, flags)
        if not addresses:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (
                socket.AF_INET6 if ":" in address else socket.AF_INET,
                socket.SOCK_STREAM,
                6,
                "",
                (address, port, 0, 0) if ":" in address else (address, port),
            )
            for address in addresses
        ]
