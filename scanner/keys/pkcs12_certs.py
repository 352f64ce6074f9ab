"""Certificates a PKCS#12 file keeps in clear.

Most PKCS#12 files encrypt their certificates too, but some (`openssl pkcs12
-certpbe NONE`, some Java keystores) keep certificate bags in plain `data`
content, readable without the passphrase. The bag that carries a
`localKeyId` attribute is the one issued for the file's key.
"""

from __future__ import annotations

import contextlib

from scanner.keys import der

DATA = bytes.fromhex("2A864886F70D010701")  # 1.2.840.113549.1.7.1
CERT_BAG = bytes.fromhex("2A864886F70D010C0A0103")  # 1.2.840.113549.1.12.10.1.3
X509 = bytes.fromhex("2A864886F70D01091601")  # 1.2.840.113549.1.9.22.1
LOCAL_KEY_ID = bytes.fromhex("2A864886F70D010915")  # 1.2.840.113549.1.9.21


def clear_certificates(data: bytes) -> list[tuple[bytes, bool]]:
    """(certificate DER, has localKeyId) for each certificate bag in clear."""
    found: list[tuple[bytes, bool]] = []
    with contextlib.suppress(IndexError, ValueError):
        pfx = der.children(data, der.header(data, 0), limit=3)
        for info in _sequence_of(data, _data_payload(data, pfx[1])):
            payload = _data_payload(data, info)
            for bag in _sequence_of(data, payload):
                cert = _cert_of_bag(data, bag)
                if cert is not None:
                    found.append(cert)
    return found


def _data_payload(data: bytes, content_info: der.Node) -> der.Node | None:
    """The OCTET STRING content of a `data` ContentInfo, parsed as DER; else None."""
    kids = der.children(data, content_info, limit=2)
    if len(kids) < 2 or der.content(data, kids[0]) != DATA or kids[1][0] != der.CONTEXT_0:
        return None
    [octets] = der.children(data, kids[1], limit=1)
    if octets[0] != der.OCTETS:
        return None
    return der.header(data, octets[1])


def _sequence_of(data: bytes, node: der.Node | None) -> list[der.Node]:
    if node is None or node[0] != der.SEQUENCE:
        return []
    return der.children(data, node, limit=256)


def _cert_of_bag(data: bytes, bag: der.Node) -> tuple[bytes, bool] | None:
    kids = der.children(data, bag, limit=3)
    if len(kids) < 2 or der.content(data, kids[0]) != CERT_BAG:
        return None
    [cert_bag] = der.children(data, kids[1], limit=1)
    inner = der.children(data, cert_bag, limit=2)
    if len(inner) < 2 or der.content(data, inner[0]) != X509:
        return None
    [octets] = der.children(data, inner[1], limit=1)
    if octets[0] != der.OCTETS:
        return None
    attributes = der.content(data, kids[2]) if len(kids) > 2 else b""
    return der.content(data, octets), LOCAL_KEY_ID in attributes
