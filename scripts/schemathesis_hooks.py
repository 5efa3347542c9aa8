"""Schemathesis hooks for scripts/schemathesis.sh (SCHEMATHESIS_HOOKS=schemathesis_hooks).

A tus PATCH (resumable uploads, docs/files.md) carries raw bytes as
`application/offset+octet-stream`, a media type Schemathesis cannot generate by itself.
"""
from hypothesis import strategies as st

import schemathesis

schemathesis.openapi.media_type("application/offset+octet-stream", st.binary(max_size=256))
