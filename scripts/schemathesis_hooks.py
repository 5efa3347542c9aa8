"""Schemathesis hooks for scripts/schemathesis.sh (SCHEMATHESIS_HOOKS=schemathesis_hooks).

A tus PATCH (resumable uploads, docs/files.md) carries raw bytes as
`application/offset+octet-stream`, a media type Schemathesis cannot generate by itself.

CPython 3.11's ast.parse is not safe across threads ("AST constructor recursion depth
mismatch", python/cpython#106905), and Hypothesis parses source to describe lambdas while the
two workers generate cases: every parse here takes one lock, so the tool no longer crashes
itself (it did in two runs in a row once the API grew).
"""
import ast
import threading

from hypothesis import strategies as st

import schemathesis

_parse = ast.parse
_parsing = threading.Lock()


def _parse_one_at_a_time(*args, **kwargs):
    with _parsing:
        return _parse(*args, **kwargs)


ast.parse = _parse_one_at_a_time

schemathesis.openapi.media_type("application/offset+octet-stream", st.binary(max_size=256))
