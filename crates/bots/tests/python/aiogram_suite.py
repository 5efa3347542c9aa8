"""aiogram 3 against Hybrid's Bot API: a bot written as for Telegram, polling in-process,
while a person (people.py) talks to it over Hybrid's own API.

Scenarios: (a) an HTML echo, (b) an inline keyboard whose callback edits the message and
answers, (d) privacy mode in a group (a command arrives, plain text does not), administration
in a group the person makes the bot an admin of — (e) my_chat_member, chat_member and service
messages, (f) join requests the bot approves and declines, (g) a ban that stops a rejoin until
the unban, (h) administrators, member count, restricting and promoting, (i) what a bot without
rights is refused, leaving and being removed — and (c) the flood limit as aiogram's
TelegramRetryAfter (last: it leaves the direct chat over its limit).

Environment: HYBRID_URL, BOT_TOKEN, BOT_ID, PERSON_TOKEN, PERSON_ID, CHAT_ID (the person's
direct chat with the bot). Exit 0 when every scenario passed.
"""

import asyncio
import sys
import time

import aiohttp
from aiogram import Bot, Dispatcher, F, Router, html
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ChatType, ParseMode
from aiogram.exceptions import TelegramBadRequest, TelegramRetryAfter
from aiogram.filters import Command
from aiogram.types import (
    CallbackQuery,
    ChatInviteLink,
    ChatJoinRequest,
    ChatMemberAdministrator,
    ChatMemberBanned,
    ChatMemberLeft,
    ChatMemberMember,
    ChatMemberOwner,
    ChatMemberRestricted,
    ChatMemberUpdated,
    ChatPermissions,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from pydantic import BaseModel

from people import Failure, Person, bold_entity, check, collect_logs, env, invite_code, run_suite, wait_seen


def build(seen):
    """The bot's handlers; what they saw goes to `seen`."""
    router = Router()

    @router.message(Command("buttons"))
    async def buttons(message: Message):
        keyboard = InlineKeyboardMarkup(inline_keyboard=[[
            InlineKeyboardButton(text="A", callback_data="pick:a"),
            InlineKeyboardButton(text="B", callback_data="pick:b"),
        ]])
        await message.answer("Pick one", reply_markup=keyboard)

    @router.callback_query(F.data.startswith("pick:"))
    async def picked(callback: CallbackQuery):
        seen["callbacks"].append(callback)
        choice = callback.data.split(":", 1)[1].upper()
        await callback.message.edit_text(f"You picked {choice}")
        await callback.answer(f"Picked {choice}")

    @router.message(Command("ping"))
    async def ping(message: Message):
        seen["commands"].append(message)
        await message.reply("pong")

    @router.message(F.text)
    async def echo(message: Message):
        seen["texts"].append(message)
        if message.chat.type == ChatType.PRIVATE:
            sent = await message.answer(html.bold(html.quote(message.text)), parse_mode=ParseMode.HTML)
            seen["sent"].append(sent)

    @router.message()
    async def service(message: Message):
        seen["service"].append(message)

    @router.my_chat_member()
    async def my_member(update: ChatMemberUpdated):
        seen["my_member"].append(update)

    @router.chat_member()
    async def member(update: ChatMemberUpdated):
        seen["member"].append(update)

    @router.chat_join_request()
    async def join_request(request: ChatJoinRequest):
        seen["join_requests"].append(request)
        decision = seen["decisions"].get(request.from_user.id)
        if decision == "approve":
            seen["decided"].append((request.from_user.id, await request.approve()))
        elif decision == "decline":
            seen["decided"].append((request.from_user.id, await request.decline()))

    return router


def unknown_fields(obj, path):
    """Fields the server sent that aiogram's types do not know (kept as pydantic extras)."""
    found = []
    if isinstance(obj, BaseModel):
        found += [f"{path}.{name}" for name in obj.model_extra or {}]
        for name in type(obj).model_fields:
            found += unknown_fields(getattr(obj, name), f"{path}.{name}")
    elif isinstance(obj, (list, tuple)):
        for i, item in enumerate(obj):
            found += unknown_fields(item, f"{path}[{i}]")
    return found


def known(obj, what):
    """Checks that `obj` (a parsed result or update) has no field aiogram does not know."""
    extra = unknown_fields(obj, what)
    check(not extra, f"fields aiogram does not know: {extra} in {obj!r}")
    return obj


async def refused(call, *words):
    """Runs `call` (a coroutine) expecting aiogram's TelegramBadRequest whose message says all of `words`."""
    try:
        result = await call
    except TelegramBadRequest as error:
        check(all(word in error.message for word in words),
              f"TelegramBadRequest should say {words}: {error.message!r}")
        return error
    raise Failure(f"expected TelegramBadRequest {words}, got {result!r}")


async def main():
    url = env("HYBRID_URL")
    bot_id, person_id, chat_id = int(env("BOT_ID")), int(env("PERSON_ID")), int(env("CHAT_ID"))
    problems = collect_logs("aiogram")  # printed when a scenario fails

    seen = {"texts": [], "sent": [], "callbacks": [], "commands": [], "service": [], "my_member": [],
            "member": [], "join_requests": [], "decisions": {}, "decided": []}
    bot = Bot(env("BOT_TOKEN"), session=AiohttpSession(api=TelegramAPIServer.from_base(url)))
    dispatcher = Dispatcher()
    dispatcher.include_router(build(seen))

    async with aiohttp.ClientSession() as session:
        person = Person.from_env(session)

        async def start():
            me = await bot.get_me()
            check(me.id == bot_id and me.is_bot, f"getMe: {me!r}")
            check(me.can_read_all_group_messages is False, f"privacy should be on: {me!r}")
            await bot.delete_webhook(drop_pending_updates=True)

        async def echo_html():
            seq = await person.send(chat_id, "hello")
            answer = await person.wait_message_from(chat_id, bot_id, seq, "the HTML echo")
            check(answer["text"] == "hello", f"the echo's text: {answer}")
            check(bold_entity(answer, 0, 5), f"the echo should be bold 0..5: {answer}")
            got = next(m for m in seen["texts"] if m.message_id == seq)
            check(got.chat.type == ChatType.PRIVATE and got.chat.id == person_id,
                  f"a private chat is the person's id: {got.chat!r}")
            check(got.from_user.id == person_id and not got.from_user.is_bot, f"from: {got.from_user!r}")
            sent = seen["sent"][-1]
            check(sent.message_id == answer["seq"], f"sendMessage's message_id {sent.message_id} vs seq {answer['seq']}")
            check(sent.text == "hello" and [(e.type, e.offset, e.length) for e in sent.entities or []] == [("bold", 0, 5)],
                  f"sendMessage's result: {sent!r}")

        async def inline_keyboard():
            seq = await person.send(chat_id, "/buttons")
            menu = await person.wait_message_from(chat_id, bot_id, seq, "the keyboard")
            check(menu["text"] == "Pick one", f"the keyboard message: {menu}")
            check(menu.get("reply_markup"), f"the message should carry its buttons: {menu}")
            pressed = await person.press(chat_id, menu["seq"], "pick:b")
            check(pressed.get("answered") is True and pressed.get("text") == "Picked B",
                  f"pressing B: {pressed}")
            await person.wait_message_where(chat_id, menu["seq"], "the edited text",
                                            lambda m: m["text"] == "You picked B")
            callback = seen["callbacks"][-1]
            check(callback.from_user.id == person_id, f"the callback's user: {callback.from_user!r}")
            check(callback.message is not None and callback.message.message_id == menu["seq"],
                  f"the callback's message: {callback.message!r}")

        async def group_privacy():
            other = await Person.register(session, url, "friend")
            group = await person.group("Bots and people", [other.id, bot_id])
            commands_before = len(seen["commands"])
            plain = await person.send(group, "just chatting")
            command = await person.send(group, "/ping")
            reply = await person.wait_message_from(group, bot_id, command, "pong")
            check(reply["text"] == "pong" and reply.get("reply_to") == command, f"the bot's reply: {reply}")
            got = seen["commands"][commands_before]
            check(got.chat.type == ChatType.SUPERGROUP and got.chat.id == -(10**12 + group),
                  f"a group is a supergroup -(10^12 + id): {got.chat!r}")
            leaked = [m.text for m in seen["texts"] if m.chat.id == got.chat.id]
            check(not leaked, f"privacy mode: plain text (seq {plain}) reached the bot: {leaked}")

        admin = {}  # the group the person makes the bot an admin of: Hybrid id, Bot API id, people

        async def member_updates():
            friend = await Person.register(session, url, "friend")
            group = await person.group("Admins", [bot_id])
            tg = -(10**12 + group)
            admin.update(group=group, tg=tg, friend=friend)
            added = known(await wait_seen("my_chat_member: the bot added", seen["my_member"],
                                          lambda u: u.chat.id == tg), "my_chat_member")
            check(added.chat.type == ChatType.SUPERGROUP and added.chat.title == "Admins",
                  f"my_chat_member's chat: {added.chat!r}")
            check(added.from_user.id == person_id, f"added by the person: {added.from_user!r}")
            check(isinstance(added.old_chat_member, ChatMemberLeft)
                  and isinstance(added.new_chat_member, ChatMemberMember)
                  and added.new_chat_member.user.id == bot_id and added.new_chat_member.user.is_bot,
                  f"left -> member: {added!r}")

            await person.set_member(group, bot_id, role="admin", allow=["manage_admins"])
            promoted = known(await wait_seen(
                "my_chat_member: the bot promoted", seen["my_member"],
                lambda u: u.chat.id == tg and u.new_chat_member.status == "administrator"), "my_chat_member")
            rights = promoted.new_chat_member
            check(isinstance(promoted.old_chat_member, ChatMemberMember) and isinstance(rights, ChatMemberAdministrator),
                  f"member -> administrator: {promoted!r}")
            check(rights.user.id == bot_id and promoted.from_user.id == person_id, f"who: {promoted!r}")
            check(all([rights.can_promote_members, rights.can_invite_users, rights.can_restrict_members,
                       rights.can_pin_messages, rights.can_change_info, rights.can_delete_messages]),
                  f"an admin with manage_admins has every right: {rights!r}")
            # a right taken: administrator -> administrator, each side with its own rights
            await person.set_member(group, bot_id, deny=["pin"])
            unpinned = known(await wait_seen(
                "my_chat_member: the pin right taken", seen["my_member"],
                lambda u: u.chat.id == tg and u.new_chat_member.status == "administrator"
                and u.new_chat_member.can_pin_messages is False), "my_chat_member")
            check(unpinned.old_chat_member.can_pin_messages is True and unpinned.new_chat_member.can_pin_messages is False
                  and unpinned.new_chat_member.can_promote_members is True,
                  f"the pin right taken: old can pin, new cannot: {unpinned!r}")
            await person.set_member(group, bot_id, deny=[])
            await wait_seen("my_chat_member: the pin right back", seen["my_member"],
                            lambda u: u.chat.id == tg and u.new_chat_member.status == "administrator"
                            and u.new_chat_member.can_pin_messages is True and u is not promoted)

            # another person joining and leaving: chat_member (polling asked for it) and service messages
            check("chat_member" in dispatcher.resolve_used_update_types(), "polling should ask for chat_member")
            await person.add_members(group, [friend.id])
            came = known(await wait_seen(
                "chat_member: the friend added", seen["member"],
                lambda u: u.chat.id == tg and u.new_chat_member.user.id == friend.id), "chat_member")
            check(isinstance(came.old_chat_member, ChatMemberLeft) and isinstance(came.new_chat_member, ChatMemberMember)
                  and came.from_user.id == person_id, f"the friend left -> member, by the person: {came!r}")
            joined = known(await wait_seen("new_chat_members", seen["service"],
                                           lambda m: m.chat.id == tg and m.new_chat_members), "message")
            check([u.id for u in joined.new_chat_members] == [friend.id] and joined.from_user.id == person_id,
                  f"new_chat_members: {joined!r}")

            await friend.leave(group)
            went = known(await wait_seen(
                "chat_member: the friend left", seen["member"],
                lambda u: u.chat.id == tg and u.new_chat_member.user.id == friend.id
                and u.new_chat_member.status == "left"), "chat_member")
            check(isinstance(went.old_chat_member, ChatMemberMember) and went.from_user.id == friend.id,
                  f"the friend member -> left, by themselves: {went!r}")
            gone = known(await wait_seen("left_chat_member", seen["service"],
                                         lambda m: m.chat.id == tg and m.left_chat_member), "message")
            check(gone.left_chat_member.id == friend.id, f"left_chat_member: {gone!r}")

            # the title: changed by the person (a service message), then by the bot
            await person.update_chat(group, title="Renamed by a person")
            titled = known(await wait_seen("new_chat_title", seen["service"],
                                           lambda m: m.chat.id == tg and m.new_chat_title), "message")
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
            pin = known(await wait_seen("pinned_message", seen["service"],
                                        lambda m: m.chat.id == tg and m.pinned_message), "message")
            check(pin.pinned_message.message_id == seq and pin.pinned_message.text == "pin this",
                  f"pinned_message: {pin!r}")

        async def join_requests():
            group, tg = admin["group"], admin["tg"]
            expire = int(time.time()) + 3600
            link = known(await bot.create_chat_invite_link(tg, name="door", expire_date=expire,
                                                           creates_join_request=True), "createChatInviteLink")
            check(isinstance(link, ChatInviteLink) and link.creates_join_request is True and link.name == "door"
                  and link.is_primary is False and link.is_revoked is False and link.member_limit is None,
                  f"createChatInviteLink: {link!r}")
            check(link.creator.id == bot_id and link.creator.is_bot, f"the link's creator: {link.creator!r}")
            check(link.expire_date is not None and int(link.expire_date.timestamp()) == expire,
                  f"expire_date {expire}: {link.expire_date!r}")
            code = invite_code(link.invite_link)

            # approved
            newcomer = await Person.register(session, url, "newcomer")
            seen["decisions"][newcomer.id] = "approve"
            pending = await newcomer.join(code, expect=202)
            check(pending.get("requested") is True and pending.get("chat_id") == group, f"the 202: {pending}")
            request = known(await wait_seen("chat_join_request", seen["join_requests"],
                                            lambda r: r.from_user.id == newcomer.id), "chat_join_request")
            check(request.chat.id == tg and request.user_chat_id == newcomer.id, f"chat_join_request: {request!r}")
            check(request.invite_link is not None and request.invite_link.invite_link == link.invite_link
                  and request.invite_link.creates_join_request is True and request.invite_link.name == "door",
                  f"the request's invite_link: {request.invite_link!r}")
            check(abs(request.date.timestamp() - time.time()) < 120, f"the request's date: {request.date!r}")
            decided = await wait_seen("the approval", seen["decided"], lambda d: d[0] == newcomer.id)
            check(decided[1] is True, f"approve() should return True: {decided!r}")
            now = known(await bot.get_chat_member(tg, newcomer.id), "getChatMember")
            check(isinstance(now, ChatMemberMember), f"approved: a member: {now!r}")
            await newcomer.chat(group)
            came = known(await wait_seen(
                "chat_member: the newcomer approved", seen["member"],
                lambda u: u.chat.id == tg and u.new_chat_member.user.id == newcomer.id
                and u.new_chat_member.status == "member"), "chat_member")
            check(isinstance(came.old_chat_member, ChatMemberLeft), f"chat_member: the newcomer left -> member: {came!r}")

            # declined
            stranger = await Person.register(session, url, "stranger")
            seen["decisions"][stranger.id] = "decline"
            await stranger.join(code, expect=202)
            decided = await wait_seen("the decline", seen["decided"], lambda d: d[0] == stranger.id)
            check(decided[1] is True, f"decline() should return True: {decided!r}")
            now = known(await bot.get_chat_member(tg, stranger.id), "getChatMember")
            check(isinstance(now, ChatMemberLeft), f"declined: not a member: {now!r}")
            await stranger.chat(group, expect=(403, 404))

            # no request to decide
            await refused(bot.approve_chat_join_request(tg, stranger.id), "HIDE_REQUESTER_MISSING")
            await refused(bot.decline_chat_join_request(tg, person_id), "HIDE_REQUESTER_MISSING")

            # edited, then revoked: the link stops working
            edited = known(await bot.edit_chat_invite_link(tg, link.invite_link, name="front door",
                                                           expire_date=expire, creates_join_request=True),
                           "editChatInviteLink")
            check(edited.invite_link == link.invite_link and edited.name == "front door"
                  and edited.creates_join_request is True and edited.is_revoked is False,
                  f"editChatInviteLink: {edited!r}")
            revoked = known(await bot.revoke_chat_invite_link(tg, link.invite_link), "revokeChatInviteLink")
            check(revoked.invite_link == link.invite_link and revoked.is_revoked is True,
                  f"revokeChatInviteLink: {revoked!r}")
            late = await Person.register(session, url, "late")
            await late.join(code, expect=404)

            # a link for one member, without approval
            once = known(await bot.create_chat_invite_link(tg, member_limit=1), "createChatInviteLink")
            check(once.member_limit == 1 and once.creates_join_request is False and once.name is None,
                  f"createChatInviteLink(member_limit=1): {once!r}")
            await late.join(invite_code(once.invite_link), expect=200)
            await stranger.join(invite_code(once.invite_link), expect=404)
            await refused(bot.create_chat_invite_link(tg, member_limit=5, creates_join_request=True), "member_limit")

        async def ban_stops_rejoin():
            group, tg = admin["group"], admin["tg"]
            victim = await Person.register(session, url, "victim")
            admin["victim"] = victim
            await person.add_members(group, [victim.id])
            until = int(time.time()) + 3600
            check(await bot.ban_chat_member(tg, victim.id, until_date=until) is True, "banChatMember")
            banned = known(await bot.get_chat_member(tg, victim.id), "getChatMember")
            check(isinstance(banned, ChatMemberBanned) and banned.status == "kicked"
                  and int(banned.until_date.timestamp()) == until,
                  f"kicked until {until}: {banned!r}")
            kicked = known(await wait_seen(
                "chat_member: the victim banned", seen["member"],
                lambda u: u.chat.id == tg and u.new_chat_member.user.id == victim.id
                and u.new_chat_member.status == "kicked"), "chat_member")
            check(kicked.from_user.id == bot_id and isinstance(kicked.old_chat_member, ChatMemberMember),
                  f"member -> kicked by the bot: {kicked!r}")
            check(int(kicked.new_chat_member.until_date.timestamp()) == until,
                  f"chat_member: kicked until {until}: {kicked.new_chat_member!r}")
            await victim.chat(group, expect=(403, 404))

            primary = await bot.export_chat_invite_link(tg)
            check(isinstance(primary, str) and "/join/" in primary, f"exportChatInviteLink: {primary!r}")
            code = invite_code(primary)
            await victim.join(code, expect=403)

            check(await bot.unban_chat_member(tg, victim.id, only_if_banned=True) is True, "unbanChatMember")
            after = known(await bot.get_chat_member(tg, victim.id), "getChatMember")
            check(isinstance(after, ChatMemberLeft), f"unbanned: left, not kicked: {after!r}")
            await victim.join(code, expect=200)
            back = known(await bot.get_chat_member(tg, victim.id), "getChatMember")
            check(isinstance(back, ChatMemberMember), f"rejoined: a member: {back!r}")
            # only_if_banned leaves a member in
            check(await bot.unban_chat_member(tg, victim.id, only_if_banned=True) is True, "unbanChatMember")
            still = await bot.get_chat_member(tg, victim.id)
            check(isinstance(still, ChatMemberMember), f"only_if_banned should not remove a member: {still!r}")

            # a new primary link replaces the old one
            fresh = await bot.export_chat_invite_link(tg)
            check(fresh != primary, f"a second exportChatInviteLink should be a new link: {fresh!r}")
            late = await Person.register(session, url, "late")
            await late.join(code, expect=404)
            await late.join(invite_code(fresh), expect=200)
            # without only_if_banned, unbanning a member removes them; they may join again
            check(await bot.unban_chat_member(tg, late.id) is True, "unbanChatMember (a member)")
            out = known(await bot.get_chat_member(tg, late.id), "getChatMember")
            check(isinstance(out, ChatMemberLeft), f"unbanChatMember removes a member: {out!r}")
            await late.chat(group, expect=(403, 404))
            await late.join(invite_code(fresh), expect=200)

        async def administration():
            group, tg, victim = admin["group"], admin["tg"], admin["victim"]
            admins = [known(m, "getChatAdministrators") for m in await bot.get_chat_administrators(tg)]
            by_id = {m.user.id: m for m in admins}
            check(set(by_id) == {person_id, bot_id} and isinstance(by_id[person_id], ChatMemberOwner)
                  and isinstance(by_id[bot_id], ChatMemberAdministrator),
                  f"the owner and the bot administer: {admins!r}")
            count = await bot.get_chat_member_count(tg)
            info = await person.chat(group)
            check(count == info["member_count"], f"getChatMemberCount {count} vs member_count {info['member_count']}")

            check(await bot.restrict_chat_member(tg, victim.id, ChatPermissions(can_send_messages=False)) is True,
                  "restrictChatMember")
            muted = known(await bot.get_chat_member(tg, victim.id), "getChatMember")
            check(isinstance(muted, ChatMemberRestricted) and muted.is_member is True
                  and muted.can_send_messages is False, f"restricted: {muted!r}")
            change = known(await wait_seen(
                "chat_member: the victim restricted", seen["member"],
                lambda u: u.chat.id == tg and u.new_chat_member.user.id == victim.id
                and u.new_chat_member.status == "restricted"), "chat_member")
            check(isinstance(change.old_chat_member, ChatMemberMember) and change.from_user.id == bot_id
                  and change.new_chat_member.can_send_messages is False, f"chat_member: member -> restricted: {change!r}")
            await victim.call("POST", f"/chats/{group}/messages", {"text": "can I talk?"}, expect=403)
            check(await bot.restrict_chat_member(tg, victim.id, ChatPermissions(can_send_messages=True)) is True,
                  "restrictChatMember")
            free = known(await bot.get_chat_member(tg, victim.id), "getChatMember")
            check(free.status in ("member", "restricted") and getattr(free, "can_send_messages", True) is True,
                  f"allowed to send again: {free!r}")
            await victim.send(group, "I can talk")

            check(await bot.promote_chat_member(tg, victim.id, can_pin_messages=True, can_invite_users=True) is True,
                  "promoteChatMember")
            promoted = known(await bot.get_chat_member(tg, victim.id), "getChatMember")
            check(isinstance(promoted, ChatMemberAdministrator) and promoted.can_pin_messages
                  and promoted.can_invite_users and not promoted.can_delete_messages
                  and not promoted.can_restrict_members and not promoted.can_promote_members
                  and not promoted.can_change_info, f"an admin with pin and invite: {promoted!r}")
            change = known(await wait_seen(
                "chat_member: the victim promoted", seen["member"],
                lambda u: u.chat.id == tg and u.new_chat_member.user.id == victim.id
                and u.new_chat_member.status == "administrator"), "chat_member")
            check(change.from_user.id == bot_id and change.new_chat_member.can_pin_messages
                  and not change.new_chat_member.can_promote_members, f"chat_member: -> administrator: {change!r}")
            check(victim.id in {m.user.id for m in await bot.get_chat_administrators(tg)},
                  "the promoted member is among the administrators")
            # no rights: a member again, by the bot when can_be_edited says it may, else by the owner
            if promoted.can_be_edited:
                check(await bot.promote_chat_member(tg, victim.id) is True, "promoteChatMember (no rights)")
            else:
                await refused(bot.promote_chat_member(tg, victim.id), "not enough rights")
                await person.set_member(group, victim.id, role="member", allow=[], deny=[])
            demoted = known(await bot.get_chat_member(tg, victim.id), "getChatMember")
            check(isinstance(demoted, ChatMemberMember), f"no rights: a member again: {demoted!r}")
            await refused(bot.restrict_chat_member(tg, person_id, ChatPermissions(can_send_messages=False)),
                          "administrator")

        async def without_rights():
            bystander = await Person.register(session, url, "bystander")
            group = await person.group("No rights", [bot_id, bystander.id])
            tg = -(10**12 + group)
            await wait_seen("my_chat_member: added to a second group", seen["my_member"], lambda u: u.chat.id == tg)
            await refused(bot.ban_chat_member(tg, bystander.id), "not enough rights")
            await refused(bot.create_chat_invite_link(tg, creates_join_request=True), "not enough rights")
            await person.add_members(group, [admin["friend"].id])
            check(await bot.leave_chat(tg) is True, "leaveChat")
            left = known(await wait_seen("my_chat_member: the bot left", seen["my_member"],
                                         lambda u: u.chat.id == tg and u.new_chat_member.status == "left"),
                         "my_chat_member")
            check(isinstance(left.old_chat_member, ChatMemberMember) and left.from_user.id == bot_id,
                  f"member -> left, by the bot: {left!r}")
            # updates come in order: a chat_member for the friend's joining would be here by now
            leaked = [u for u in seen["member"] if u.chat.id == tg]
            check(not leaked, f"chat_member reached a bot that is no admin: {leaked!r}")
            members = await person.call("GET", f"/chats/{group}/members")
            check(bot_id not in [m["user_id"] for m in members], f"the bot is still a member: {members}")

            removed = await person.group("Removed", [bot_id])
            tg = -(10**12 + removed)
            await wait_seen("my_chat_member: added to a third group", seen["my_member"], lambda u: u.chat.id == tg)
            await person.remove_member(removed, bot_id)
            kicked = known(await wait_seen("my_chat_member: the bot removed", seen["my_member"],
                                           lambda u: u.chat.id == tg and u.new_chat_member.status == "kicked"),
                           "my_chat_member")
            check(isinstance(kicked.new_chat_member, ChatMemberBanned) and kicked.from_user.id == person_id,
                  f"member -> kicked, by the person: {kicked!r}")

        async def flood():
            for i in range(60):
                try:
                    await bot.send_message(person_id, f"flood {i}")
                except TelegramRetryAfter as error:
                    check(isinstance(error.retry_after, int) and error.retry_after >= 1,
                          f"retry_after should be an int >= 1: {error.retry_after!r}")
                    return
            raise Failure("60 messages into one chat and no TelegramRetryAfter")

        polling = None

        async def start_polling():
            nonlocal polling
            polling = asyncio.create_task(dispatcher.start_polling(
                bot, handle_signals=False, close_bot_session=False, polling_timeout=5))

        async def no_problems():
            check(not problems.lines, problems.summary("aiogram"))

        try:
            code = await run_suite("aiogram", [
                ("getMe", start),
                ("polling starts", start_polling),
                ("(a) HTML echo", echo_html),
                ("(b) inline keyboard", inline_keyboard),
                ("(d) group privacy", group_privacy),
                ("(e) member updates", member_updates),
                ("(f) join requests", join_requests),
                ("(g) a ban stops a rejoin", ban_stops_rejoin),
                ("(h) administrators, restrict, promote", administration),
                ("(i) without rights, leaving, removed", without_rights),
                ("(c) flood limit", flood),
                ("nothing logged", no_problems),
            ])
        finally:
            if polling is not None:
                if not polling.done():
                    await dispatcher.stop_polling()
                await polling
            await bot.session.close()
    if code and problems.lines:
        print(problems.summary("aiogram"), flush=True)
    return code


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
