"""OpenPGP private key blocks (armored or binary): one KeyInfo per key packet."""

from __future__ import annotations

from scanner.keys import result
from scanner.keys.errors import PARSE_ERRORS
from scanner.keys.fingerprint import PublicKey
from scanner.keys.pgp_keys import ALGORITHMS, public_key_from
from scanner.keys.pgp_packets import PUBLIC_TAGS, SECRET_TAGS, KeyPacket, key_packets
from scanner.keys.pgp_s2k import weak_passphrase
from scanner.model import KeyInfo

FORMAT = "pgp"
GNU_STUB = 101
"""GnuPG's S2K extension for a secret key that is not there (on a card, or stripped)."""


def looks_like_packets(data: bytes) -> bool:
    """Binary OpenPGP starting with a key packet (old or new format header)."""
    if not data or not data[0] & 0x80:
        return False
    tag = data[0] & 0x3F if data[0] & 0x40 else (data[0] >> 2) & 0x0F
    return tag in SECRET_TAGS or tag in PUBLIC_TAGS


def analyse(data: bytes, ctx: result.Context) -> list[KeyInfo]:
    """One KeyInfo per secret key packet; [] for public keys only (a keyring)."""
    found = key_packets(data)
    chosen = [p for p in found if p.is_secret]
    if not chosen:
        return [] if found else [result.unparsable(FORMAT, "no OpenPGP key packet")]
    weak = False
    first_locked = next((p for p in chosen if p.encrypted and not _stub(p)), None)
    if first_locked is not None:
        weak = weak_passphrase(first_locked.secret, tuple(ctx.passphrases))
    return [_info(p, weak) for p in chosen]


def _stub(packet: KeyPacket) -> bool:
    s = packet.secret
    return len(s) > 2 and s[0] in (254, 255) and s[2] == GNU_STUB


def _info(packet: KeyPacket, weak: bool) -> KeyInfo:
    notes = [f"OpenPGP v{packet.version} {SECRET_TAGS[packet.tag]}"]
    if _stub(packet):
        notes.append("secret part not present (GnuPG stub)")
    encrypted = packet.encrypted and not _stub(packet)
    extra = {"pgp": packet.fingerprint}
    public = _public(packet)
    if public is None:
        return KeyInfo(
            format=FORMAT,
            algorithm=ALGORITHMS.get(packet.algorithm, f"pgp-{packet.algorithm}"),
            encrypted=encrypted,
            weak_passphrase=weak and encrypted,
            fingerprints=extra,
            note="; ".join([*notes, "no SubjectPublicKeyInfo form"]),
        )
    return result.from_public(
        FORMAT,
        public,
        encrypted=encrypted,
        weak_passphrase=weak and encrypted,
        extra=extra,
        note="; ".join(notes),
    )


def _public(packet: KeyPacket) -> PublicKey | None:
    try:
        return public_key_from(packet.version, packet.algorithm, packet.public_body)
    except PARSE_ERRORS:
        return None
