"""GnuPG `private-keys-v1.d/*.key` files.

Three shapes: the canonical s-expression (`(21:protected-private-key(3:rsa…`),
the extended text format of GnuPG 2.3+ (`Key: (protected-private-key …)` among
`Name: value` lines), and an advanced s-expression pasted as text. The public
numbers (`n`, `e`, `q`, `p`, `g`, `y`) are in clear even when the key is
protected, so the identity never needs the passphrase.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa, x448, x25519

from scanner.keys import result, sexp
from scanner.keys.errors import PARSE_ERRORS
from scanner.keys.fingerprint import PublicKey, native
from scanner.keys.gnupg_protect import weak_passphrase
from scanner.keys.signatures import GNUPG_MARKERS
from scanner.model import KeyInfo

FORMAT = "gnupg-private-keys-v1"
ROOTS = {b"private-key": False, b"protected-private-key": True, b"shadowed-private-key": False}
_NIST: dict[bytes, ec.EllipticCurve] = {
    b"NIST P-256": ec.SECP256R1(),
    b"nistp256": ec.SECP256R1(),
    b"NIST P-384": ec.SECP384R1(),
    b"nistp384": ec.SECP384R1(),
    b"NIST P-521": ec.SECP521R1(),
    b"nistp521": ec.SECP521R1(),
    b"secp256k1": ec.SECP256K1(),
    b"brainpoolP256r1": ec.BrainpoolP256R1(),
    b"brainpoolP384r1": ec.BrainpoolP384R1(),
    b"brainpoolP512r1": ec.BrainpoolP512R1(),
}


def looks_like(data: bytes) -> bool:
    head = data[:4096]
    if head.lstrip().startswith(GNUPG_MARKERS):
        return True
    return any(
        marker in head
        for marker in (b"Key: (private-key", b"Key: (protected-private-key", b"Key: (shadowed")
    ) or head.lstrip().startswith((b"(private-key", b"(protected-private-key"))


def expression_of(data: bytes) -> bytes:
    """The key s-expression: the whole canonical file, or the extended format's `Key:` item."""
    stripped = data.lstrip()
    if stripped.startswith(b"("):
        return stripped
    lines = data.split(b"\n")
    for index, line in enumerate(lines):
        if line.startswith(b"Key:"):
            parts = [line[4:]]
            for follow in lines[index + 1 :]:
                if follow[:1] not in (b" ", b"\t"):
                    break
                parts.append(follow[1:])  # a fold: newline and one blank removed
            return b"".join(parts)
    raise ValueError("no Key: item")


def analyse(data: bytes, ctx: result.Context) -> KeyInfo:
    try:
        tree = sexp.parse(expression_of(data))
    except ValueError as exc:
        return result.unparsable(FORMAT, f"damaged GnuPG key file: {exc}")
    if not isinstance(tree, list) or len(tree) < 2 or not isinstance(tree[0], bytes):
        return result.unparsable(FORMAT, "not a GnuPG key s-expression")
    kind, body = tree[0], tree[1]
    if kind not in ROOTS or not isinstance(body, list) or not body:
        return result.unparsable(FORMAT, "not a GnuPG private key")
    protected = ROOTS[kind]
    algorithm = body[0] if isinstance(body[0], bytes) else b"?"
    note = "shadowed: the secret is on a smartcard" if kind.startswith(b"shadowed") else None
    try:
        public = public_key(algorithm, sexp.params(body))
    except PARSE_ERRORS as exc:
        return result.unparsable(FORMAT, f"GnuPG {algorithm.decode('ascii', 'replace')} key: {exc}")
    if public is None:
        return KeyInfo(
            format=FORMAT,
            algorithm=algorithm.decode("ascii", "replace"),
            encrypted=protected,
            note="no SubjectPublicKeyInfo form for this algorithm",
        )
    weak = protected and weak_passphrase(body, ctx.passphrases)
    return result.from_public(FORMAT, public, encrypted=protected, weak_passphrase=weak, note=note)


def _int(value: bytes) -> int:
    return int.from_bytes(value, "big")


def public_key(algorithm: bytes, p: dict[bytes, bytes]) -> PublicKey | None:
    if algorithm in (b"rsa", b"openpgp-rsa"):
        return rsa.RSAPublicNumbers(_int(p[b"e"]), _int(p[b"n"])).public_key()
    if algorithm in (b"dsa", b"openpgp-dsa"):
        numbers = dsa.DSAParameterNumbers(_int(p[b"p"]), _int(p[b"q"]), _int(p[b"g"]))
        return dsa.DSAPublicNumbers(_int(p[b"y"]), numbers).public_key()
    if algorithm in (b"ecc", b"ecdsa", b"eddsa", b"ecdh"):
        return _ecc(p.get(b"curve", b""), p[b"q"])
    return None


def _ecc(curve: bytes, q: bytes) -> PublicKey | None:
    if curve in _NIST:
        return ec.EllipticCurvePublicKey.from_encoded_point(_NIST[curve], q)
    if curve in (b"Ed25519", b"ed25519"):
        return ed25519.Ed25519PublicKey.from_public_bytes(native(q, 32))
    if curve in (b"Curve25519", b"cv25519", b"X25519"):
        return x25519.X25519PublicKey.from_public_bytes(native(q, 32))
    if curve in (b"Ed448", b"ed448"):
        return ed448.Ed448PublicKey.from_public_bytes(native(q, 57))
    if curve in (b"X448", b"cv448"):
        return x448.X448PublicKey.from_public_bytes(native(q, 56))
    return None
