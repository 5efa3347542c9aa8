"""The scenarios both library suites run (aiogram_suite.py, ptb_suite.py): a person (people.py)
and a bot written with the library, the same Bot API calls through the library's own Bot (both
name its methods alike: get_chat_member, ban_chat_member, …) and the same checks on the
library's own typed objects. What the libraries do differently is a `Library`; how the bot is
set up and receives updates stays in each suite, whose handlers put what they saw into the
lists of `collected()`.

In the order they run: (a) an HTML echo, (b) an inline keyboard whose callback edits the
message and answers, (d) privacy mode in a group (a command arrives, plain text does not),
administration in a group the person makes the bot an admin of — (e) my_chat_member,
chat_member and service messages, (f) join requests the bot approves and declines, (g) a ban
that stops a rejoin until the unban, (h) administrators, member count, restricting and
promoting, (i) what a bot without rights is refused, leaving and being removed — (j) files:
documents, photos, an album and a voice note uploaded with the library's own upload types,
getFile and the library's download, a person's photo reaching the bot, a file sent again by
its file_id, and what cannot be sent — and (c) the flood limit as the library's retry-after
error (last: it leaves the direct chat over its limit).

The pictures and the sound are made by ffmpeg (which the server's tests need anyway), their
dimensions read back from the bytes (`image_size`).
"""

import asyncio
import re
import secrets
import struct
import time
from dataclasses import dataclass
from typing import Any, Callable

from people import Failure, Person, bold_entity, check, env, invite_code, wait_seen

# the kinds of update the handlers collect, by the Bot API's name for them (what `known` says)
UPDATES = {"my_member": "my_chat_member", "member": "chat_member", "service": "message",
           "join_requests": "chat_join_request", "files": "message"}


# a document's bytes: every byte value, then UTF-8 text
DOCUMENT = bytes(range(256)) + "Grüße, 世界 📄\n".encode() + b"\x00\xff\xfe"


def collected():
    """What a suite's handlers append to: "texts" (messages with text but no command),
    "commands" (/ping), "sent" (what the echo sent), "callbacks" (callback queries), "service"
    (service messages), "my_member" and "member" (my_chat_member and chat_member updates),
    "join_requests" (decided by `decide`), "files" (photos, with what the bot downloaded: see
    `got_photo`)."""
    return {"texts": [], "sent": [], "callbacks": [], "commands": [], "service": [], "my_member": [],
            "member": [], "join_requests": [], "decisions": {}, "decided": [], "files": []}


async def decide(seen, request):
    """A suite's chat_join_request handler: approves or declines `request` with the library's
    own shortcut as the scenario asked (`seen["decisions"]`), what it returned to "decided"."""
    seen["join_requests"].append(request)
    decision = seen["decisions"].get(request.from_user.id)
    if decision == "approve":
        seen["decided"].append((request.from_user.id, await request.approve()))
    elif decision == "decline":
        seen["decided"].append((request.from_user.id, await request.decline()))


def got_photo(seen, message, data):
    """A suite's photo handler, once it downloaded the largest size (`data`) with the library:
    keeps `(message, data)` in `seen["files"]`; what the bot answers ("<w>x<h>, <n> bytes")."""
    seen["files"].append((message, bytes(data)))
    width, height = image_size(data)
    return f"{width}x{height}, {len(data)} bytes"


async def ffmpeg(*args):
    """What ffmpeg writes to stdout for `args` (its input and output options)."""
    try:
        process = await asyncio.create_subprocess_exec(
            "ffmpeg", "-v", "error", "-nostdin", *args, "-",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    except FileNotFoundError as error:
        raise Failure("the files scenario makes its pictures and sound with ffmpeg, which is not installed") from error
    out, err = await process.communicate()
    if process.returncode != 0 or not out:
        raise Failure(f"ffmpeg {' '.join(args)}: {process.returncode} {err.decode(errors='replace')[-500:]}")
    return out


async def picture(width, height, codec="mjpeg", pattern="testsrc"):
    """A test picture (JPEG, or PNG with codec="png") of `width`x`height`."""
    return await ffmpeg("-f", "lavfi", "-i", f"{pattern}=size={width}x{height}", "-frames:v", "1",
                        "-c:v", codec, "-f", "image2pipe")


async def voice_note(seconds):
    """`seconds` of a 440 Hz tone as Opus in Ogg (what Telegram's voice notes are)."""
    return await ffmpeg("-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}", "-c:a", "libopus",
                        "-f", "ogg")


def image_size(data):
    """(width, height) of a JPEG, PNG or WebP picture, read from its header; Failure for anything else."""
    data = bytes(data)
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return struct.unpack(">II", data[16:24])
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        chunk = data[12:16]
        if chunk == b"VP8 ":  # lossy: after the frame tag and the start code 9d 01 2a
            width, height = struct.unpack("<HH", data[26:30])
            return width & 0x3FFF, height & 0x3FFF
        if chunk == b"VP8L":  # lossless: 14 bits each, minus one, after the signature 0x2f
            bits = int.from_bytes(data[21:25], "little")
            return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
        if chunk == b"VP8X":  # extended: 24 bits each, minus one
            return int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1
        raise Failure(f"a WebP picture with a {chunk!r} chunk first")
    if data[:2] == b"\xff\xd8":
        at = 2
        while at + 4 <= len(data):
            if data[at] != 0xFF:
                raise Failure(f"not a JPEG marker at byte {at}: {data[at:at + 4]!r}")
            marker = data[at + 1]
            if marker == 0xFF:  # fill byte
                at += 1
                continue
            if marker in (0x01, *range(0xD0, 0xD8)):  # no length
                at += 2
                continue
            length = struct.unpack(">H", data[at + 2:at + 4])[0]
            # start of frame: C0–CF but DHT (C4), JPG (C8) and DAC (CC)
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height, width = struct.unpack(">HH", data[at + 5:at + 9])
                return width, height
            at += 2 + length
        raise Failure("a JPEG without a start of frame")
    raise Failure(f"not a JPEG, PNG or WebP picture: {data[:16]!r}")


def sizes(photo):
    """A `photo` (PhotoSize list) as [(width, height)]."""
    return [(size.width, size.height) for size in photo or []]


def entities(entities):
    """Message entities as [(type, offset, length)]."""
    return [(entity.type, entity.offset, entity.length) for entity in entities or []]


def supergroup(group):
    """The Bot API's id of Hybrid group `group`: a supergroup's -(10^12 + id)."""
    return -(10**12 + group)


def strict(library, fields_of):
    """`known` for a library: checks that a parsed result or update has no field the library
    does not know. `fields_of(obj, path, walk)` lists an object's unknown fields (its own
    extras, and `walk(value, path)` of each of its fields); lists are walked here."""
    def walk(obj, path):
        if isinstance(obj, (list, tuple)):
            return [name for i, item in enumerate(obj) for name in walk(item, f"{path}[{i}]")]
        return fields_of(obj, path, walk)

    def known(obj, what):
        extra = walk(obj, what)
        check(not extra, f"fields {library} does not know: {extra} in {obj!r}")
        return obj

    return known


@dataclass(frozen=True)
class Library:
    """What the shared scenarios need to know of a library."""

    types: Any  # where its ChatMember*, ChatInviteLink and ChatPermissions are (a module)
    chat_type: Any  # its ChatType
    bad_request: type  # what it raises for a 400
    too_large: type  # what it raises for a 413
    says: Callable  # (error, word): the bad request's message says `word`
    retry_after: type  # what it raises for a 429
    retry_seconds: Callable  # (error): its retry_after in whole seconds, else None
    date: Callable  # (Unix time): a date as its methods take one
    is_date: Callable  # (a date it parsed, Unix time): the two are the same time
    revoking: Callable  # (ChatInviteLink): what its revoke_chat_invite_link is given for the link
    polled: Callable  # (): the update types its polling asks for
    # (bytes, file name, attach): what its methods take as an uploaded file; `attach`: the
    # request points at its part with attach://<part> (aiogram's always do)
    upload: Callable
    download: Callable  # async (bot, File): the file's bytes, by the library's own download
    seconds: Callable  # (a duration it parsed): whole seconds
    # what the library sent, as (Bot API method, request body) for each send… (its HTTP layer
    # records them): where attach:// is seen on the wire
    bodies: list
    # (parsed, what): checks `parsed` holds no field the library does not know; `parsed`
    known: Callable = lambda obj, what: obj


class Scenarios:
    """The scenarios, run by `person` (people.Person) with `bot` (the library's Bot, BOT_ID in
    the environment, which has CHAT_ID with the person) whose handlers fill `seen`."""

    def __init__(self, lib, bot, person, seen):
        self.lib, self.bot, self.person, self.seen = lib, bot, person, seen
        self.url, self.person_id = person.url, person.id
        self.bot_id, self.chat_id = int(env("BOT_ID")), int(env("CHAT_ID"))
        self.known = lib.known
        # the group the person makes the bot an admin of ((e) to (h)): Hybrid id, Bot API id, people
        self.group = self.tg = self.friend = self.victim = None

    def all(self):
        """`[(label, async fn)]` for `people.run_suite`, in order."""
        return [
            ("(a) HTML echo", self.echo_html),
            ("(b) inline keyboard", self.inline_keyboard),
            ("(d) group privacy", self.group_privacy),
            ("(e) member updates", self.member_updates),
            ("(f) join requests", self.join_requests),
            ("(g) a ban stops a rejoin", self.ban_stops_rejoin),
            ("(h) administrators, restrict, promote", self.administration),
            ("(i) without rights, leaving, removed", self.without_rights),
            ("(j) files", self.files),
            ("(c) flood limit", self.flood),
        ]

    def check_me(self, me):
        """What getMe said."""
        check(me.id == self.bot_id and me.is_bot, f"getMe: {me!r}")
        check(me.can_read_all_group_messages is False, f"privacy should be on: {me!r}")

    # helpers

    async def someone(self, prefix):
        return await Person.register(self.person.session, self.url, prefix)

    async def update(self, kind, what, predicate):
        """The first update of `kind` (a key of `collected()`) the handlers saw for which
        `predicate` holds, once there is one; checked with `known`."""
        return self.known(await wait_seen(what, self.seen[kind], predicate), UPDATES[kind])

    async def member(self, tg, user_id):
        return self.known(await self.bot.get_chat_member(tg, user_id), "getChatMember")

    async def refused(self, call, *words):
        """Runs `call` (a coroutine) expecting the library's bad request whose message says all of `words`."""
        name = self.lib.bad_request.__name__
        try:
            result = await call
        except self.lib.bad_request as error:
            check(all(self.lib.says(error, word) for word in words), f"{name} should say {words}: {error.message!r}")
            return error
        raise Failure(f"expected {name} {words}, got {result!r}")

    # (a), (b), (d): a conversation

    async def echo_html(self):
        person, chat_id, person_id = self.person, self.chat_id, self.person_id
        seq = await person.send(chat_id, "hello")
        answer = await person.wait_message_from(chat_id, self.bot_id, seq, "the HTML echo")
        check(answer["text"] == "hello", f"the echo's text: {answer}")
        check(bold_entity(answer, 0, 5), f"the echo should be bold 0..5: {answer}")
        got = next(m for m in self.seen["texts"] if m.message_id == seq)
        check(got.chat.type == self.lib.chat_type.PRIVATE and got.chat.id == person_id,
              f"a private chat is the person's id: {got.chat!r}")
        check(got.from_user.id == person_id and not got.from_user.is_bot, f"from: {got.from_user!r}")
        sent = self.seen["sent"][-1]
        check(sent.message_id == answer["seq"], f"sendMessage's message_id {sent.message_id} vs seq {answer['seq']}")
        check(sent.text == "hello" and [(e.type, e.offset, e.length) for e in sent.entities or []] == [("bold", 0, 5)],
              f"sendMessage's result: {sent!r}")

    async def inline_keyboard(self):
        person, chat_id = self.person, self.chat_id
        seq = await person.send(chat_id, "/buttons")
        menu = await person.wait_message_from(chat_id, self.bot_id, seq, "the keyboard")
        check(menu["text"] == "Pick one", f"the keyboard message: {menu}")
        check(menu.get("reply_markup"), f"the message should carry its buttons: {menu}")
        pressed = await person.press(chat_id, menu["seq"], "pick:b")
        check(pressed.get("answered") is True and pressed.get("text") == "Picked B", f"pressing B: {pressed}")
        await person.wait_message_where(chat_id, menu["seq"], "the edited text", lambda m: m["text"] == "You picked B")
        callback = self.seen["callbacks"][-1]
        check(callback.from_user.id == self.person_id, f"the callback's user: {callback.from_user!r}")
        check(callback.message is not None and callback.message.message_id == menu["seq"],
              f"the callback's message: {callback.message!r}")

    async def group_privacy(self):
        person, bot_id = self.person, self.bot_id
        other = await self.someone("friend")
        group = await person.group("Bots and people", [other.id, bot_id])
        commands_before = len(self.seen["commands"])
        plain = await person.send(group, "just chatting")
        command = await person.send(group, "/ping")
        reply = await person.wait_message_from(group, bot_id, command, "pong")
        check(reply["text"] == "pong" and reply.get("reply_to") == command, f"the bot's reply: {reply}")
        got = self.seen["commands"][commands_before]
        check(got.chat.type == self.lib.chat_type.SUPERGROUP and got.chat.id == supergroup(group),
              f"a group is a supergroup -(10^12 + id): {got.chat!r}")
        leaked = [m.text for m in self.seen["texts"] if m.chat.id == got.chat.id]
        check(not leaked, f"privacy mode: plain text (seq {plain}) reached the bot: {leaked}")

    # (e) to (i): administration

    async def member_updates(self):
        person, bot, bot_id, person_id, T = self.person, self.bot, self.bot_id, self.person_id, self.lib.types
        friend = await self.someone("friend")
        group = await person.group("Admins", [bot_id])
        tg = supergroup(group)
        self.group, self.tg, self.friend = group, tg, friend
        added = await self.update("my_member", "my_chat_member: the bot added", lambda u: u.chat.id == tg)
        check(added.chat.type == self.lib.chat_type.SUPERGROUP and added.chat.title == "Admins",
              f"my_chat_member's chat: {added.chat!r}")
        check(added.from_user.id == person_id, f"added by the person: {added.from_user!r}")
        check(isinstance(added.old_chat_member, T.ChatMemberLeft)
              and isinstance(added.new_chat_member, T.ChatMemberMember)
              and added.new_chat_member.user.id == bot_id and added.new_chat_member.user.is_bot,
              f"left -> member: {added!r}")

        await person.set_member(group, bot_id, role="admin", allow=["manage_admins"])
        promoted = await self.update("my_member", "my_chat_member: the bot promoted",
                                     lambda u: u.chat.id == tg and u.new_chat_member.status == "administrator")
        rights = promoted.new_chat_member
        check(isinstance(promoted.old_chat_member, T.ChatMemberMember) and isinstance(rights, T.ChatMemberAdministrator),
              f"member -> administrator: {promoted!r}")
        check(rights.user.id == bot_id and promoted.from_user.id == person_id, f"who: {promoted!r}")
        check(all([rights.can_promote_members, rights.can_invite_users, rights.can_restrict_members,
                   rights.can_pin_messages, rights.can_change_info, rights.can_delete_messages]),
              f"an admin with manage_admins has every right: {rights!r}")
        # a right taken: administrator -> administrator, each side with its own rights
        await person.set_member(group, bot_id, deny=["pin"])
        unpinned = await self.update(
            "my_member", "my_chat_member: the pin right taken",
            lambda u: u.chat.id == tg and u.new_chat_member.status == "administrator"
            and u.new_chat_member.can_pin_messages is False)
        check(unpinned.old_chat_member.can_pin_messages is True and unpinned.new_chat_member.can_pin_messages is False
              and unpinned.new_chat_member.can_promote_members is True,
              f"the pin right taken: old can pin, new cannot: {unpinned!r}")
        await person.set_member(group, bot_id, deny=[])
        await self.update("my_member", "my_chat_member: the pin right back",
                          lambda u: u.chat.id == tg and u.new_chat_member.status == "administrator"
                          and u.new_chat_member.can_pin_messages is True and u is not promoted)

        # another person joining and leaving: chat_member (polling asked for it) and service messages
        check("chat_member" in self.lib.polled(), "polling should ask for chat_member")
        await person.add_members(group, [friend.id])
        came = await self.update("member", "chat_member: the friend added",
                                 lambda u: u.chat.id == tg and u.new_chat_member.user.id == friend.id)
        check(isinstance(came.old_chat_member, T.ChatMemberLeft) and isinstance(came.new_chat_member, T.ChatMemberMember)
              and came.from_user.id == person_id, f"the friend left -> member, by the person: {came!r}")
        joined = await self.update("service", "new_chat_members", lambda m: m.chat.id == tg and m.new_chat_members)
        check([u.id for u in joined.new_chat_members] == [friend.id] and joined.from_user.id == person_id,
              f"new_chat_members: {joined!r}")

        await friend.leave(group)
        went = await self.update("member", "chat_member: the friend left",
                                 lambda u: u.chat.id == tg and u.new_chat_member.user.id == friend.id
                                 and u.new_chat_member.status == "left")
        check(isinstance(went.old_chat_member, T.ChatMemberMember) and went.from_user.id == friend.id,
              f"the friend member -> left, by themselves: {went!r}")
        gone = await self.update("service", "left_chat_member", lambda m: m.chat.id == tg and m.left_chat_member)
        check(gone.left_chat_member.id == friend.id, f"left_chat_member: {gone!r}")

        # the title: changed by the person (a service message), then by the bot
        await person.update_chat(group, title="Renamed by a person")
        titled = await self.update("service", "new_chat_title", lambda m: m.chat.id == tg and m.new_chat_title)
        check(titled.new_chat_title == "Renamed by a person" and titled.from_user.id == person_id,
              f"new_chat_title: {titled!r}")
        check(await bot.set_chat_title(tg, "Renamed by the bot") is True, "setChatTitle")
        check(await bot.set_chat_description(tg, "Run by a bot") is True, "setChatDescription")
        info = await person.chat(group)
        check(info["title"] == "Renamed by the bot" and info["description"] == "Run by a bot",
              f"the person sees the bot's title and description: {info}")

        # a pin by the person
        seq = await person.send(group, "pin this")
        await person.pin(group, seq)
        pin = await self.update("service", "pinned_message", lambda m: m.chat.id == tg and m.pinned_message)
        check(pin.pinned_message.message_id == seq and pin.pinned_message.text == "pin this",
              f"pinned_message: {pin!r}")

    async def join_requests(self):
        bot, group, tg, lib, T = self.bot, self.group, self.tg, self.lib, self.lib.types
        expire = int(time.time()) + 3600
        link = self.known(await bot.create_chat_invite_link(tg, name="door", expire_date=lib.date(expire),
                                                            creates_join_request=True), "createChatInviteLink")
        check(isinstance(link, T.ChatInviteLink) and link.creates_join_request is True and link.name == "door"
              and link.is_primary is False and link.is_revoked is False and link.member_limit is None,
              f"createChatInviteLink: {link!r}")
        check(link.creator.id == self.bot_id and link.creator.is_bot, f"the link's creator: {link.creator!r}")
        check(lib.is_date(link.expire_date, expire), f"expire_date {expire}: {link.expire_date!r}")
        code = invite_code(link.invite_link)

        # approved
        newcomer = await self.someone("newcomer")
        self.seen["decisions"][newcomer.id] = "approve"
        pending = await newcomer.join(code, expect=202)
        check(pending.get("requested") is True and pending.get("chat_id") == group, f"the 202: {pending}")
        request = await self.update("join_requests", "chat_join_request", lambda r: r.from_user.id == newcomer.id)
        check(request.chat.id == tg and request.user_chat_id == newcomer.id, f"chat_join_request: {request!r}")
        check(request.invite_link is not None and request.invite_link.invite_link == link.invite_link
              and request.invite_link.creates_join_request is True and request.invite_link.name == "door",
              f"the request's invite_link: {request.invite_link!r}")
        check(abs(request.date.timestamp() - time.time()) < 120, f"the request's date: {request.date!r}")
        decided = await wait_seen("the approval", self.seen["decided"], lambda d: d[0] == newcomer.id)
        check(decided[1] is True, f"approve() should return True: {decided!r}")
        now = await self.member(tg, newcomer.id)
        check(isinstance(now, T.ChatMemberMember), f"approved: a member: {now!r}")
        await newcomer.chat(group)
        came = await self.update("member", "chat_member: the newcomer approved",
                                 lambda u: u.chat.id == tg and u.new_chat_member.user.id == newcomer.id
                                 and u.new_chat_member.status == "member")
        check(isinstance(came.old_chat_member, T.ChatMemberLeft), f"chat_member: the newcomer left -> member: {came!r}")

        # declined
        stranger = await self.someone("stranger")
        self.seen["decisions"][stranger.id] = "decline"
        await stranger.join(code, expect=202)
        decided = await wait_seen("the decline", self.seen["decided"], lambda d: d[0] == stranger.id)
        check(decided[1] is True, f"decline() should return True: {decided!r}")
        now = await self.member(tg, stranger.id)
        check(isinstance(now, T.ChatMemberLeft), f"declined: not a member: {now!r}")
        await stranger.chat(group, expect=(403, 404))

        # no request to decide
        await self.refused(bot.approve_chat_join_request(tg, stranger.id), "HIDE_REQUESTER_MISSING")
        await self.refused(bot.decline_chat_join_request(tg, self.person_id), "HIDE_REQUESTER_MISSING")

        # edited, then revoked: the link stops working
        edited = self.known(await bot.edit_chat_invite_link(tg, link.invite_link, name="front door",
                                                            expire_date=lib.date(expire), creates_join_request=True),
                            "editChatInviteLink")
        check(edited.invite_link == link.invite_link and edited.name == "front door"
              and edited.creates_join_request is True and edited.is_revoked is False,
              f"editChatInviteLink: {edited!r}")
        revoked = self.known(await bot.revoke_chat_invite_link(tg, lib.revoking(link)), "revokeChatInviteLink")
        check(revoked.invite_link == link.invite_link and revoked.is_revoked is True,
              f"revokeChatInviteLink: {revoked!r}")
        late = await self.someone("late")
        await late.join(code, expect=404)

        # a link for one member, without approval
        once = self.known(await bot.create_chat_invite_link(tg, member_limit=1), "createChatInviteLink")
        check(once.member_limit == 1 and once.creates_join_request is False and once.name is None,
              f"createChatInviteLink(member_limit=1): {once!r}")
        await late.join(invite_code(once.invite_link), expect=200)
        await stranger.join(invite_code(once.invite_link), expect=404)
        await self.refused(bot.create_chat_invite_link(tg, member_limit=5, creates_join_request=True), "member_limit")

    async def ban_stops_rejoin(self):
        bot, group, tg, lib, T = self.bot, self.group, self.tg, self.lib, self.lib.types
        victim = self.victim = await self.someone("victim")
        await self.person.add_members(group, [victim.id])
        until = int(time.time()) + 3600
        check(await bot.ban_chat_member(tg, victim.id, until_date=lib.date(until)) is True, "banChatMember")
        banned = await self.member(tg, victim.id)
        check(isinstance(banned, T.ChatMemberBanned) and banned.status == "kicked"
              and lib.is_date(banned.until_date, until),
              f"kicked until {until}: {banned!r}")
        kicked = await self.update("member", "chat_member: the victim banned",
                                   lambda u: u.chat.id == tg and u.new_chat_member.user.id == victim.id
                                   and u.new_chat_member.status == "kicked")
        check(kicked.from_user.id == self.bot_id and isinstance(kicked.old_chat_member, T.ChatMemberMember),
              f"member -> kicked by the bot: {kicked!r}")
        check(lib.is_date(kicked.new_chat_member.until_date, until),
              f"chat_member: kicked until {until}: {kicked.new_chat_member!r}")
        await victim.chat(group, expect=(403, 404))

        primary = await bot.export_chat_invite_link(tg)
        check(isinstance(primary, str) and "/join/" in primary, f"exportChatInviteLink: {primary!r}")
        code = invite_code(primary)
        await victim.join(code, expect=403)

        check(await bot.unban_chat_member(tg, victim.id, only_if_banned=True) is True, "unbanChatMember")
        after = await self.member(tg, victim.id)
        check(isinstance(after, T.ChatMemberLeft), f"unbanned: left, not kicked: {after!r}")
        await victim.join(code, expect=200)
        back = await self.member(tg, victim.id)
        check(isinstance(back, T.ChatMemberMember), f"rejoined: a member: {back!r}")
        # only_if_banned leaves a member in
        check(await bot.unban_chat_member(tg, victim.id, only_if_banned=True) is True, "unbanChatMember")
        still = await self.member(tg, victim.id)
        check(isinstance(still, T.ChatMemberMember), f"only_if_banned should not remove a member: {still!r}")

        # a new primary link replaces the old one
        fresh = await bot.export_chat_invite_link(tg)
        check(fresh != primary, f"a second exportChatInviteLink should be a new link: {fresh!r}")
        late = await self.someone("late")
        await late.join(code, expect=404)
        await late.join(invite_code(fresh), expect=200)
        # without only_if_banned, unbanning a member removes them; they may join again
        check(await bot.unban_chat_member(tg, late.id) is True, "unbanChatMember (a member)")
        out = await self.member(tg, late.id)
        check(isinstance(out, T.ChatMemberLeft), f"unbanChatMember removes a member: {out!r}")
        await late.chat(group, expect=(403, 404))
        await late.join(invite_code(fresh), expect=200)

    async def administration(self):
        bot, person, group, tg, victim, T = self.bot, self.person, self.group, self.tg, self.victim, self.lib.types
        bot_id, person_id = self.bot_id, self.person_id
        admins = [self.known(m, "getChatAdministrators") for m in await bot.get_chat_administrators(tg)]
        by_id = {m.user.id: m for m in admins}
        check(set(by_id) == {person_id, bot_id} and isinstance(by_id[person_id], T.ChatMemberOwner)
              and isinstance(by_id[bot_id], T.ChatMemberAdministrator),
              f"the owner and the bot administer: {admins!r}")
        count = await bot.get_chat_member_count(tg)
        info = await person.chat(group)
        check(count == info["member_count"], f"getChatMemberCount {count} vs member_count {info['member_count']}")

        check(await bot.restrict_chat_member(tg, victim.id, T.ChatPermissions(can_send_messages=False)) is True,
              "restrictChatMember")
        muted = await self.member(tg, victim.id)
        check(isinstance(muted, T.ChatMemberRestricted) and muted.is_member is True
              and muted.can_send_messages is False, f"restricted: {muted!r}")
        change = await self.update("member", "chat_member: the victim restricted",
                                   lambda u: u.chat.id == tg and u.new_chat_member.user.id == victim.id
                                   and u.new_chat_member.status == "restricted")
        check(isinstance(change.old_chat_member, T.ChatMemberMember) and change.from_user.id == bot_id
              and change.new_chat_member.can_send_messages is False, f"chat_member: member -> restricted: {change!r}")
        await victim.call("POST", f"/chats/{group}/messages", {"text": "can I talk?"}, expect=403)
        check(await bot.restrict_chat_member(tg, victim.id, T.ChatPermissions(can_send_messages=True)) is True,
              "restrictChatMember")
        free = await self.member(tg, victim.id)
        check(free.status in ("member", "restricted") and getattr(free, "can_send_messages", True) is True,
              f"allowed to send again: {free!r}")
        await victim.send(group, "I can talk")

        check(await bot.promote_chat_member(tg, victim.id, can_pin_messages=True, can_invite_users=True) is True,
              "promoteChatMember")
        promoted = await self.member(tg, victim.id)
        check(isinstance(promoted, T.ChatMemberAdministrator) and promoted.can_pin_messages
              and promoted.can_invite_users and not promoted.can_delete_messages
              and not promoted.can_restrict_members and not promoted.can_promote_members
              and not promoted.can_change_info, f"an admin with pin and invite: {promoted!r}")
        change = await self.update("member", "chat_member: the victim promoted",
                                   lambda u: u.chat.id == tg and u.new_chat_member.user.id == victim.id
                                   and u.new_chat_member.status == "administrator")
        check(change.from_user.id == bot_id and change.new_chat_member.can_pin_messages
              and not change.new_chat_member.can_promote_members, f"chat_member: -> administrator: {change!r}")
        now = [self.known(m, "getChatAdministrators") for m in await bot.get_chat_administrators(tg)]
        check(victim.id in {m.user.id for m in now},
              "the promoted member is among the administrators")
        # no rights: a member again, by the bot when can_be_edited says it may, else by the owner
        if promoted.can_be_edited:
            check(await bot.promote_chat_member(tg, victim.id) is True, "promoteChatMember (no rights)")
        else:
            await self.refused(bot.promote_chat_member(tg, victim.id), "not enough rights")
            await person.set_member(group, victim.id, role="member", allow=[], deny=[])
        demoted = await self.member(tg, victim.id)
        check(isinstance(demoted, T.ChatMemberMember), f"no rights: a member again: {demoted!r}")
        await self.refused(bot.restrict_chat_member(tg, person_id, T.ChatPermissions(can_send_messages=False)),
                           "administrator")

    async def without_rights(self):
        bot, person, bot_id, T = self.bot, self.person, self.bot_id, self.lib.types
        bystander = await self.someone("bystander")
        group = await person.group("No rights", [bot_id, bystander.id])
        tg = supergroup(group)
        await self.update("my_member", "my_chat_member: added to a second group", lambda u: u.chat.id == tg)
        await self.refused(bot.ban_chat_member(tg, bystander.id), "not enough rights")
        await self.refused(bot.create_chat_invite_link(tg, creates_join_request=True), "not enough rights")
        await person.add_members(group, [self.friend.id])
        check(await bot.leave_chat(tg) is True, "leaveChat")
        left = await self.update("my_member", "my_chat_member: the bot left",
                                 lambda u: u.chat.id == tg and u.new_chat_member.status == "left")
        check(isinstance(left.old_chat_member, T.ChatMemberMember) and left.from_user.id == bot_id,
              f"member -> left, by the bot: {left!r}")
        # updates come in order: a chat_member for the friend's joining would be here by now
        leaked = [u for u in self.seen["member"] if u.chat.id == tg]
        check(not leaked, f"chat_member reached a bot that is no admin: {leaked!r}")
        members = await person.call("GET", f"/chats/{group}/members")
        check(bot_id not in [m["user_id"] for m in members], f"the bot is still a member: {members}")

        removed = await person.group("Removed", [bot_id])
        tg = supergroup(removed)
        await self.update("my_member", "my_chat_member: added to a third group", lambda u: u.chat.id == tg)
        await person.remove_member(removed, bot_id)
        kicked = await self.update("my_member", "my_chat_member: the bot removed",
                                   lambda u: u.chat.id == tg and u.new_chat_member.status == "kicked")
        check(isinstance(kicked.new_chat_member, T.ChatMemberBanned) and kicked.from_user.id == self.person_id,
              f"member -> kicked, by the person: {kicked!r}")

    # (j) files

    def attached(self, method, count):
        """Checks that the library's last `method` request pointed at `count` uploaded parts with
        attach://<part> and carried parts of those names (its body as sent: `lib.bodies`)."""
        body = next((body for name, body in reversed(self.lib.bodies) if name == method), None)
        check(body is not None, f"no {method} request was recorded")
        names = set(re.findall(rb"attach://([\w-]+)", body))
        parts = set(re.findall(rb'content-disposition: *form-data; *name="([^"]+)"', body, re.IGNORECASE))
        check(len(names) == count and names <= parts,
              f"{method} should point at {count} uploaded parts with attach://: "
              f"attach:// names {sorted(names)}, parts {sorted(parts)}")

    async def fetch(self, file_id, size=None):
        """getFile for `file_id` (checked), and the file's bytes by the library's own download."""
        file = self.known(await self.bot.get_file(file_id), "getFile")
        # `files/<file_id>` and the file's extension, as Telegram's paths have one (PTB makes the
        # path a whole URL)
        check(file.file_id == file_id and file.file_unique_id and file.file_path
              and re.search(rf"files/{re.escape(file_id)}(\.[a-z0-9]+)?$", file.file_path),
              f"getFile({file_id!r}): {file!r}")
        check(size is None or file.file_size == size, f"getFile: file_size should be {size}: {file!r}")
        data = bytes(await self.lib.download(self.bot, file))
        check(file.file_size is None or len(data) == file.file_size,
              f"downloaded {len(data)} bytes of a file of {file.file_size}: {file!r}")
        return file, data

    def check_photo(self, photo, original, size, what):
        """A message's `photo`: two sizes or more, smallest first, each its own file; the last
        the original (`original` (width, height), `size` bytes)."""
        got = sizes(photo)
        check(len(got) >= 2 and got[-1] == original, f"{what}: two sizes or more, the original {original} last: {got}")
        check(all(a[0] * a[1] < b[0] * b[1] for a, b in zip(got, got[1:])), f"{what}: smallest first: {got}")
        check(all(s.file_id and s.file_unique_id for s in photo) and len({s.file_unique_id for s in photo}) == len(got),
              f"{what}: each size its own file: {photo!r}")
        check(photo[-1].file_size == size, f"{what}: the original is {size} bytes: {photo[-1]!r}")

    async def files(self):
        lib, bot, T = self.lib, self.bot, self.lib.types
        reader = await self.someone("reader")
        reading = await reader.direct_chat(self.bot_id)
        viewer = await self.someone("viewer")
        await viewer.direct_chat(self.bot_id)

        # a document uploaded by attach://, its caption's entities counted in UTF-16
        name = "Bericht über Ärger.bin"
        sent = self.known(await bot.send_document(reader.id, lib.upload(DOCUMENT, name, True),
                                                  caption="📄 <b>Bericht</b> über <i>Ärger</i>", parse_mode="HTML"),
                          "sendDocument")
        self.attached("sendDocument", 1)
        document = sent.document
        check(document is not None and document.file_name == name and document.mime_type == "application/octet-stream"
              and document.file_size == len(DOCUMENT) and document.file_id and document.file_unique_id,
              f"sendDocument's document: {sent!r}")
        check(sent.caption == "📄 Bericht über Ärger" and sent.text is None and not sent.photo
              and entities(sent.caption_entities) == [("bold", 3, 7), ("italic", 16, 5)],
              f"sendDocument's caption: {sent!r}")
        shown = await reader.message(reading, sent.message_id)
        preview = (shown.get("attachment") or {}).get("preview") or {}
        check(shown["text"] == sent.caption and preview.get("name") == name and preview.get("size") == len(DOCUMENT),
              f"the person's view of the document: {shown}")
        file, data = await self.fetch(document.file_id, len(DOCUMENT))
        check(file.file_unique_id == document.file_unique_id, f"getFile's file_unique_id: {file!r} vs {document!r}")
        check(data == DOCUMENT, f"the download differs from the upload: {data[:32]!r}… ({len(data)} bytes)")

        # another bot (over plain HTTP) can neither describe nor download it
        other = await self.person.call("POST", "/bots", {"username": f"other_{secrets.token_hex(3)}_bot", "name": "Other"})
        async with self.person.session.post(f"{self.url}/bot{other['token']}/getFile",
                                            json={"file_id": document.file_id}) as response:
            answer = await response.json(content_type=None)
            check(response.status == 400 and "wrong file identifier" in answer.get("description", ""),
                  f"another bot's getFile of this bot's file_id: {response.status} {answer}")
        async with self.person.session.get(f"{self.url}/file/bot{other['token']}/files/{document.file_id}") as response:
            check(response.status == 404, f"another bot's download of this bot's file: {response.status}")

        # sent again by its file_id: the same file; caption_entities as given
        again = self.known(await bot.send_document(reader.id, document.file_id, caption="Ärger again",
                                                   caption_entities=[T.MessageEntity(type="italic", offset=6, length=5)]),
                           "sendDocument")
        check(again.document is not None and again.document.file_unique_id == document.file_unique_id
              and again.document.file_name == name and again.document.file_size == len(DOCUMENT),
              f"the document sent again by file_id: {again!r}")
        check(again.caption == "Ärger again" and entities(again.caption_entities) == [("italic", 6, 5)],
              f"the document sent again: its caption: {again!r}")

        # what cannot be sent
        await self.refused(bot.send_photo(reader.id, lib.upload("just some text\n".encode(), "note.txt", False)),
                           "can't be sent as photo")
        await self.refused(bot.send_document(reader.id, "BQACAgIAAxkBAAIBZ2hubm90YWZpbGU"), "wrong file identifier")
        try:
            result = await bot.send_photo(reader.id, lib.upload(b"\xff\xd8" + bytes(10 << 20), "huge.jpg", False))
        except lib.too_large as error:
            check(not isinstance(error, lib.bad_request) and lib.says(error, "Entity Too Large"),
                  f"a photo over 10 MB: {type(error).__name__}: {error.message!r}")
        else:
            raise Failure(f"a photo over 10 MB: expected {lib.too_large.__name__}, got {result!r}")

        # a photo (uploaded as the part "photo" where the library does so): its sizes, each
        # downloading as a picture of the size it says
        test_card = await picture(1280, 720)
        sent = self.known(await bot.send_photo(viewer.id, lib.upload(test_card, "test card.jpg", False),
                                               caption="a test card"), "sendPhoto")
        self.check_photo(sent.photo, (1280, 720), len(test_card), "sendPhoto")
        check(sent.caption == "a test card" and not sent.caption_entities and sent.document is None,
              f"sendPhoto's message: {sent!r}")
        for size in sent.photo:
            _, data = await self.fetch(size.file_id)
            check(image_size(data) == (size.width, size.height),
                  f"the {size.width}x{size.height} size downloads as a {image_size(data)} picture")
        check(data[:2] == b"\xff\xd8", f"the original downloads as a JPEG: {data[:8]!r}")
        # the method decides, as in Telegram: the same picture sent as a document is a document
        plain = self.known(await bot.send_document(viewer.id, lib.upload(test_card, "test card.jpg", False)),
                           "sendDocument")
        check(plain.document is not None and not plain.photo and plain.document.mime_type == "image/jpeg",
              f"a picture sent with sendDocument should be a document: {plain!r}")

        # an album of two uploads, each pointed at with attach://: a message each
        one, two = await picture(640, 360, pattern="smptebars"), await picture(480, 640, codec="png", pattern="testsrc2")
        album = await bot.send_media_group(viewer.id, [
            T.InputMediaPhoto(media=lib.upload(one, "one.jpg", True), caption="<i>two</i> pictures", parse_mode="HTML"),
            T.InputMediaPhoto(media=lib.upload(two, "two.png", True)),
        ])
        album = [self.known(message, "sendMediaGroup") for message in album]
        self.attached("sendMediaGroup", 2)
        check(len(album) == 2 and album[0].message_id < album[1].message_id, f"sendMediaGroup: {album!r}")
        self.check_photo(album[0].photo, (640, 360), len(one), "the album's first")
        self.check_photo(album[1].photo, (480, 640), len(two), "the album's second")
        check(album[0].caption == "two pictures" and entities(album[0].caption_entities) == [("italic", 0, 3)]
              and album[1].caption is None, f"the album's captions: {album!r}")
        _, data = await self.fetch(album[1].photo[-1].file_id, len(two))
        check(data == two, "the album's PNG downloads as uploaded")

        # a voice note (the server copies sound without its tags: other bytes, the same sound)
        sound = await voice_note(2)
        said = self.known(await bot.send_voice(viewer.id, lib.upload(sound, "hello.ogg", True)), "sendVoice")
        voice = said.voice
        check(voice is not None and lib.seconds(voice.duration) == 2 and voice.mime_type in ("audio/ogg", "audio/opus")
              and voice.file_size, f"sendVoice's voice: {said!r}")
        _, data = await self.fetch(voice.file_id, voice.file_size)
        check(data[:4] == b"OggS" and b"OpusHead" in data[:64], f"the voice note downloads as Opus in Ogg: {data[:64]!r}")

        # a person's photo reaches the bot, whose handler downloads it and answers
        holiday = await picture(800, 600, pattern="testsrc2")
        card = await self.person.upload("holiday.jpg", holiday)
        check((card.get("media") or {}).get("state") == "ready", f"the person's picture, read: {card}")
        caption = "from my holiday 🌴"
        seq = await self.person.send(self.chat_id, caption, attach=card["attach_token"])
        message, data = await wait_seen("the person's photo at the bot", self.seen["files"],
                                        lambda got: got[0].message_id == seq)
        self.known(message, UPDATES["files"])
        check(message.from_user.id == self.person_id and message.chat.id == self.person_id,
              f"the person's photo: from and chat: {message!r}")
        check(message.caption == caption and not message.caption_entities and message.text is None
              and message.document is None, f"the person's photo: its caption: {message!r}")
        self.check_photo(message.photo, (800, 600), len(holiday), "the person's photo")
        check(image_size(data) == (800, 600) and len(data) == len(holiday),
              f"the bot downloaded {len(data)} bytes of a {image_size(data)} picture")
        answer = await self.person.wait_message_from(self.chat_id, self.bot_id, seq, "the bot's answer to the photo")
        check(answer["text"] == f"800x600, {len(holiday)} bytes", f"the bot's answer: {answer}")

        # the person's photo sent on by its file_id: the bot's own copy
        copied = self.known(await bot.send_photo(reader.id, message.photo[-1].file_id, caption="yours"), "sendPhoto")
        self.check_photo(copied.photo, (800, 600), len(holiday), "the person's photo sent on")

    # (c): last, it leaves the direct chat over its limit

    async def flood(self):
        for i in range(60):
            try:
                await self.bot.send_message(self.person_id, f"flood {i}")
            except self.lib.retry_after as error:
                seconds = self.lib.retry_seconds(error)
                check(seconds is not None and seconds >= 1, f"retry_after should be an int >= 1: {error.retry_after!r}")
                return
        raise Failure(f"60 messages into one chat and no {self.lib.retry_after.__name__}")
