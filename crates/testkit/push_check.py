# Opens what Hybrid sends to a push service, with implementations that share no code with
# Hybrid's: Python's http_ece decrypts the body (RFC 8291, aes128gcm) with the browser's
# private key and auth secret, and cryptography verifies the VAPID header's ES256 signature
# (RFC 8292) with the key it names. Reads JSON on stdin: {"private", "auth", "body"} (base64url)
# and/or {"authorization"}; prints {"payload" (the decrypted text), "head", "claims", "k"}.
import base64
import json
import sys

import http_ece
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, utils


def d(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


given = json.load(sys.stdin)
seen = {}
if "body" in given:
    key = ec.derive_private_key(int.from_bytes(d(given["private"]), "big"), ec.SECP256R1())
    plain = http_ece.decrypt(d(given["body"]), private_key=key, auth_secret=d(given["auth"]), version="aes128gcm")
    seen["payload"] = plain.decode()
if "authorization" in given:
    header = given["authorization"]
    assert header.startswith("vapid "), header
    fields = dict(part.strip().split("=", 1) for part in header[len("vapid "):].split(","))
    head, claims, signature = fields["t"].split(".")
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), d(fields["k"]))
    raw = d(signature)
    der = utils.encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    public.verify(der, f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
    seen.update(head=json.loads(d(head)), claims=json.loads(d(claims)), k=fields["k"])
print(json.dumps(seen))
