"""A person using Hybrid over its own API (not the Bot API), for the bot library suites.

Reads nothing from the environment itself: the suites build `Person`s from HYBRID_URL,
PERSON_TOKEN, PERSON_ID (see `Person.from_env`). Waiting polls every 100 ms for at most
`WAIT` seconds; there are no fixed sleeps.
"""

import asyncio
import logging
import os
import secrets
import time
import traceback
from urllib.parse import quote

import aiohttp

WAIT = 20.0
POLL = 0.1
PASSWORD = "correct horse battery"


class Failure(Exception):
    """A scenario's check failed; the suites print it and exit non-zero."""


def env(name):
    value = os.environ.get(name)
    if not value:
        raise Failure(f"environment variable {name} is not set")
    return value


class Person:
    def __init__(self, session, url, token, user_id):
        self.session = session
        self.url = url.rstrip("/")
        self.token = token
        self.id = int(user_id)

    @classmethod
    def from_env(cls, session):
        return cls(session, env("HYBRID_URL"), env("PERSON_TOKEN"), env("PERSON_ID"))

    @classmethod
    async def register(cls, session, url, prefix="someone"):
        """A new person with a unique username."""
        username = f"{prefix}{secrets.token_hex(4)}"
        body = await _call(session, "POST", f"{url.rstrip('/')}/api/v1/auth/register",
                           None, {"username": username, "password": PASSWORD}, expect=201)
        return cls(session, url, body["access_token"], body["user"]["id"])

    async def call(self, method, path, body=None, expect=(200, 201)):
        return await _call(self.session, method, f"{self.url}/api/v1{path}", self.token, body, expect)

    async def send(self, chat_id, text, reply_to=None, attach=None):
        """Sends `text` in `chat_id` (with the file whose attach token is `attach`: the text is
        its caption): the new message's seq."""
        body = {"text": text}
        if reply_to is not None:
            body["reply_to"] = reply_to
        if attach is not None:
            body["attach"] = attach
        message = await self.call("POST", f"/chats/{chat_id}/messages", body)
        return message["seq"]

    async def upload(self, name, data):
        """Uploads `data` as the file `name`: its card (`{id, attach_token, media, …}`) once the
        server has read it (a picture's `media.state` is no longer "pending"), so a message it is
        attached to carries its sizes."""
        card = await _call(self.session, "POST", f"{self.url}/api/v1/files?name={quote(name)}", self.token,
                           None, expect=201, data=data)

        async def read():
            now = await self.call("GET", f"/files/{card['id']}", expect=200)
            return now if (now.get("media") or {}).get("state") != "pending" else None

        return await self.wait_for(f"file {card['id']} ({name}) to be read", read)

    async def history(self, chat_id, after=None):
        """Messages of `chat_id`, oldest first (after seq `after`, or the latest page)."""
        query = f"?after={after}&limit=100" if after is not None else "?limit=100"
        page = await self.call("GET", f"/chats/{chat_id}/messages{query}")
        return page["messages"]

    async def message(self, chat_id, seq):
        """The message `seq` of `chat_id` as it is now."""
        page = await self.call("GET", f"/chats/{chat_id}/messages?after={seq - 1}&limit=1")
        for message in page["messages"]:
            if message["seq"] == seq:
                return message
        raise Failure(f"message {seq} of chat {chat_id} is not in its history: {page}")

    async def wait_for(self, what, check, wait=WAIT):
        """Polls `check()` (async) until it returns something other than None, for at most
        `wait` seconds."""
        deadline = time.monotonic() + wait
        last = None
        while True:
            last = await check()
            if last is not None:
                return last
            if time.monotonic() > deadline:
                raise Failure(f"timed out after {wait:.0f} s waiting for {what}")
            await asyncio.sleep(POLL)

    async def wait_message_from(self, chat_id, sender_id, after_seq, what="the bot's answer", wait=WAIT):
        """The first message from `sender_id` in `chat_id` after seq `after_seq`, once one is there."""

        async def check():
            for message in await self.history(chat_id, after=after_seq):
                if message["sender_id"] == sender_id:
                    return message
            return None

        return await self.wait_for(f"{what} in chat {chat_id} after seq {after_seq}", check, wait)

    async def wait_message_where(self, chat_id, seq, what, predicate):
        """Message `seq` of `chat_id` once `predicate(message)` holds."""

        async def check():
            message = await self.message(chat_id, seq)
            return message if predicate(message) else None

        return await self.wait_for(what, check)

    async def press(self, chat_id, seq, data):
        """Presses the inline button with callback data `data` under message `seq`: the
        server's answer (`{"answered", "text", "show_alert", "url"}`)."""
        return await self.call("POST", f"/chats/{chat_id}/messages/{seq}/callback", {"data": data}, expect=200)

    async def direct_chat(self, user_id):
        chat = await self.call("POST", "/chats", {"kind": "direct", "user_id": int(user_id)})
        return chat["id"]

    async def group(self, title, member_ids):
        chat = await self.call("POST", "/chats", {"kind": "group", "title": title,
                                                  "member_ids": [int(m) for m in member_ids]}, expect=201)
        return chat["id"]

    async def chat(self, chat_id, expect=200):
        """The chat as this person sees it (`expect=(403, 404)`: they cannot)."""
        return await self.call("GET", f"/chats/{chat_id}", expect=expect)

    async def update_chat(self, chat_id, **changes):
        """Changes a chat's info (`title=…`, `description=…`)."""
        return await self.call("PATCH", f"/chats/{chat_id}", changes, expect=200)

    async def add_members(self, chat_id, user_ids):
        await self.call("POST", f"/chats/{chat_id}/members", {"user_ids": [int(u) for u in user_ids]}, expect=204)

    async def remove_member(self, chat_id, user_id):
        await self.call("DELETE", f"/chats/{chat_id}/members/{user_id}", expect=204)

    async def set_member(self, chat_id, user_id, **changes):
        """Changes a member's `role`, `allow`, `deny`: the member as they are now."""
        return await self.call("PATCH", f"/chats/{chat_id}/members/{user_id}", changes, expect=200)

    async def leave(self, chat_id):
        await self.call("POST", f"/chats/{chat_id}/leave", expect=204)

    async def pin(self, chat_id, seq):
        await self.call("PUT", f"/chats/{chat_id}/pins/{seq}", expect=204)

    async def join(self, code, expect=200):
        """Follows invite link `code`: 200 joined (the chat), 202 a join request
        (`{chat_id, title, requested}`), 403 banned, 404 an unusable link."""
        return await self.call("POST", f"/invites/{code}/join", expect=expect)


def invite_code(link):
    """The code of an invite link `…/join/<code>`."""
    return link.rstrip("/").rsplit("/", 1)[-1]


async def wait_seen(what, items, predicate, wait=WAIT):
    """The first of `items` (a list a bot's handlers append to) for which `predicate` holds,
    once there is one, for at most `wait` seconds."""
    deadline = time.monotonic() + wait
    while True:
        for item in list(items):
            if predicate(item):
                return item
        if time.monotonic() > deadline:
            raise Failure(f"timed out after {wait:.0f} s waiting for {what}")
        await asyncio.sleep(POLL)


async def _call(session, method, url, token, body, expect, data=None):
    """`body` goes as JSON, or `data` (bytes) as it is."""
    expect = (expect,) if isinstance(expect, int) else expect
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with session.request(method, url, json=body, data=data, headers=headers) as response:
        try:
            answer = await response.json(content_type=None)
        except ValueError:
            answer = await response.text()
        if response.status not in expect:
            sent = body if data is None else f"({len(data)} bytes)"
            raise Failure(f"{method} {url} {sent}: {response.status} {answer}")
        return answer


class Problems(logging.Handler):
    """What a library logs at WARNING and above (a failed getUpdates, a handler's exception),
    each distinct line once, instead of printing it: shown when a scenario fails."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.lines = []

    def emit(self, record):
        line = f"{record.name}: {record.getMessage()}"
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            line += f" [{type(error).__module__}.{type(error).__name__}: {error}]"
        if line[:600] not in self.lines:
            self.lines.append(line[:600])

    def summary(self, library):
        return f"{library} logged:\n  " + "\n  ".join(self.lines[:10])


def collect_logs(*loggers):
    """A `Problems` collecting the warnings and errors of `loggers` (by name)."""
    problems = Problems()
    for name in loggers:
        logger = logging.getLogger(name)
        logger.setLevel(logging.WARNING)
        logger.propagate = False
        logger.addHandler(problems)
    return problems


def bold_entity(message, offset, length):
    return any(e.get("type") == "bold" and e.get("offset") == offset and e.get("length") == length
               for e in message.get("entities") or [])


def check(condition, message):
    if not condition:
        raise Failure(message)


async def run_suite(name, scenarios):
    """Runs `scenarios` (`[(label, async fn)]`) in order, printing one line each; the exit code."""
    for label, scenario in scenarios:
        started = time.monotonic()
        try:
            await scenario()
        except Failure as failure:
            print(f"{name}: FAILED {label}: {failure}", flush=True)
            return 1
        except Exception as error:  # the library's exceptions: show what it said
            print(f"{name}: FAILED {label}: {type(error).__module__}.{type(error).__name__}: {error}", flush=True)
            traceback.print_exc(limit=6)
            return 1
        print(f"{name}: ok {label} ({time.monotonic() - started:.1f} s)", flush=True)
    return 0
