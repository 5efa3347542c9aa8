"""python-telegram-bot 22 against Hybrid's Bot API: an Application written as for Telegram,
its updater polling in-process, while a person (people.py) talks to it over Hybrid's own API.

Scenarios: (a) an HTML echo, (b) an inline keyboard whose callback edits the message and
answers, (d) privacy mode in a group (a command arrives, plain text does not), administration
in a group the person makes the bot an admin of — (e) my_chat_member, chat_member and service
messages, (f) join requests the bot approves and declines, (g) a ban that stops a rejoin until
the unban, (h) administrators, member count, restricting and promoting, (i) what a bot without
rights is refused, leaving and being removed — and (c) the flood limit as PTB's
telegram.error.RetryAfter (last: it leaves the direct chat over its limit).

Environment: HYBRID_URL, BOT_TOKEN, BOT_ID, PERSON_TOKEN, PERSON_ID, CHAT_ID (the person's
direct chat with the bot). Exit 0 when every scenario passed.
"""

import asyncio
import datetime
import html
import sys
import time
import warnings

import aiohttp
from telegram import (
    ChatInviteLink,
    ChatMemberAdministrator,
    ChatMemberBanned,
    ChatMemberLeft,
    ChatMemberMember,
    ChatMemberOwner,
    ChatMemberRestricted,
    ChatPermissions,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.constants import ChatType
from telegram.error import BadRequest, RetryAfter
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatJoinRequestHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from people import Failure, Person, bold_entity, check, collect_logs, env, invite_code, run_suite, wait_seen


def build(app, seen):
    """The bot's handlers; what they saw goes to `seen`."""

    async def buttons(update: Update, context: ContextTypes.DEFAULT_TYPE):
        keyboard = InlineKeyboardMarkup([[
            InlineKeyboardButton("A", callback_data="pick:a"),
            InlineKeyboardButton("B", callback_data="pick:b"),
        ]])
        await update.effective_message.reply_text("Pick one", reply_markup=keyboard, do_quote=False)

    async def picked(update: Update, context: ContextTypes.DEFAULT_TYPE):
        query = update.callback_query
        seen["callbacks"].append(query)
        choice = query.data.split(":", 1)[1].upper()
        await query.edit_message_text(f"You picked {choice}")
        await query.answer(f"Picked {choice}")

    async def ping(update: Update, context: ContextTypes.DEFAULT_TYPE):
        seen["commands"].append(update.effective_message)
        await update.effective_message.reply_text("pong", do_quote=True)

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE):
        message = update.effective_message
        seen["texts"].append(message)
        if message.chat.type == ChatType.PRIVATE:
            sent = await message.reply_html(f"<b>{html.escape(message.text)}</b>", do_quote=False)
            seen["sent"].append(sent)

    async def service(update: Update, context: ContextTypes.DEFAULT_TYPE):
        seen["service"].append(update.effective_message)

    async def my_member(update: Update, context: ContextTypes.DEFAULT_TYPE):
        seen["my_member"].append(update.my_chat_member)

    async def member(update: Update, context: ContextTypes.DEFAULT_TYPE):
        seen["member"].append(update.chat_member)

    async def join_request(update: Update, context: ContextTypes.DEFAULT_TYPE):
        request = update.chat_join_request
        seen["join_requests"].append(request)
        decision = seen["decisions"].get(request.from_user.id)
        if decision == "approve":
            seen["decided"].append((request.from_user.id, await request.approve()))
        elif decision == "decline":
            seen["decided"].append((request.from_user.id, await request.decline()))

    async def failed(update: object, context: ContextTypes.DEFAULT_TYPE):
        seen["errors"].append(repr(context.error)[:600])

    app.add_handler(CommandHandler("buttons", buttons))
    app.add_handler(CommandHandler("ping", ping))
    app.add_handler(CallbackQueryHandler(picked, pattern=r"^pick:"))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    app.add_handler(MessageHandler(filters.StatusUpdate.ALL, service))
    app.add_handler(ChatMemberHandler(my_member, ChatMemberHandler.MY_CHAT_MEMBER))
    app.add_handler(ChatMemberHandler(member, ChatMemberHandler.CHAT_MEMBER))
    app.add_handler(ChatJoinRequestHandler(join_request))
    app.add_error_handler(failed)


async def refused(call, *words):
    """Runs `call` (a coroutine) expecting PTB's BadRequest whose message says all of `words`
    (in any case: PTB capitalizes what follows "Bad Request: ")."""
    try:
        result = await call
    except BadRequest as error:
        check(all(word.lower() in error.message.lower() for word in words),
              f"BadRequest should say {words}: {error.message!r}")
        return error
    raise Failure(f"expected BadRequest {words}, got {result!r}")


def at(seconds):
    """A Unix time as the aware datetime PTB takes and gives."""
    return datetime.datetime.fromtimestamp(seconds, tz=datetime.timezone.utc)


def whole_seconds(retry_after):
    """RetryAfter.retry_after is an int (a timedelta once PTB_TIMEDELTA is set): its seconds
    when they are whole, else None."""
    if isinstance(retry_after, datetime.timedelta):
        seconds = retry_after.total_seconds()
        return int(seconds) if seconds == int(seconds) else None
    return retry_after if isinstance(retry_after, int) else None


async def main():
    url = env("HYBRID_URL")
    bot_id, person_id, chat_id = int(env("BOT_ID")), int(env("PERSON_ID")), int(env("CHAT_ID"))
    problems = collect_logs("telegram")  # printed when a scenario fails
    warnings.simplefilter("ignore")  # PTB's deprecation notes about int time periods

    seen = {"texts": [], "sent": [], "callbacks": [], "commands": [], "errors": [], "service": [],
            "my_member": [], "member": [], "join_requests": [], "decisions": {}, "decided": []}
    app = (
        ApplicationBuilder()
        .token(env("BOT_TOKEN"))
        .base_url(f"{url}/bot")
        .base_file_url(f"{url}/file/bot")
        .build()
    )
    build(app, seen)
    bot = app.bot

    async with aiohttp.ClientSession() as session, app:
        person = Person.from_env(session)

        async def start():
            # `async with app` ran getMe (Bot.initialize): the bot it found
            me = bot.bot
            check(me.id == bot_id and me.is_bot, f"getMe: {me!r}")
            check(me.can_read_all_group_messages is False, f"privacy should be on: {me!r}")

        async def all_types():
            # what PTB's own examples poll with (`run_polling(allowed_updates=Update.ALL_TYPES)`):
            # every kind this PTB knows, some newer than the server's list
            await bot.get_updates(timeout=0, allowed_updates=Update.ALL_TYPES)

        async def start_polling():
            await app.start()
            await app.updater.start_polling(poll_interval=0.0, timeout=5, drop_pending_updates=True,
                                            allowed_updates=Update.ALL_TYPES)

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
            check(sent.text == "hello" and [(e.type, e.offset, e.length) for e in sent.entities] == [("bold", 0, 5)],
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
            query = seen["callbacks"][-1]
            check(query.from_user.id == person_id, f"the callback's user: {query.from_user!r}")
            check(query.message is not None and query.message.message_id == menu["seq"],
                  f"the callback's message: {query.message!r}")

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
            added = await wait_seen("my_chat_member: the bot added", seen["my_member"], lambda u: u.chat.id == tg)
            check(added.chat.type == ChatType.SUPERGROUP and added.chat.title == "Admins",
                  f"my_chat_member's chat: {added.chat!r}")
            check(added.from_user.id == person_id, f"added by the person: {added.from_user!r}")
            check(isinstance(added.old_chat_member, ChatMemberLeft)
                  and isinstance(added.new_chat_member, ChatMemberMember)
                  and added.new_chat_member.user.id == bot_id and added.new_chat_member.user.is_bot,
                  f"left -> member: {added!r}")

            await person.set_member(group, bot_id, role="admin", allow=["manage_admins"])
            promoted = await wait_seen("my_chat_member: the bot promoted", seen["my_member"],
                                       lambda u: u.chat.id == tg and u.new_chat_member.status == "administrator")
            rights = promoted.new_chat_member
            check(isinstance(promoted.old_chat_member, ChatMemberMember) and isinstance(rights, ChatMemberAdministrator),
                  f"member -> administrator: {promoted!r}")
            check(rights.user.id == bot_id and promoted.from_user.id == person_id, f"who: {promoted!r}")
            check(all([rights.can_promote_members, rights.can_invite_users, rights.can_restrict_members,
                       rights.can_pin_messages, rights.can_change_info, rights.can_delete_messages]),
                  f"an admin with manage_admins has every right: {rights!r}")
            # a right taken: administrator -> administrator, each side with its own rights
            await person.set_member(group, bot_id, deny=["pin"])
            unpinned = await wait_seen(
                "my_chat_member: the pin right taken", seen["my_member"],
                lambda u: u.chat.id == tg and u.new_chat_member.status == "administrator"
                and u.new_chat_member.can_pin_messages is False)
            check(unpinned.old_chat_member.can_pin_messages is True and unpinned.new_chat_member.can_pin_messages is False
                  and unpinned.new_chat_member.can_promote_members is True,
                  f"the pin right taken: old can pin, new cannot: {unpinned!r}")
            await person.set_member(group, bot_id, deny=[])
            await wait_seen("my_chat_member: the pin right back", seen["my_member"],
                            lambda u: u.chat.id == tg and u.new_chat_member.status == "administrator"
                            and u.new_chat_member.can_pin_messages is True and u is not promoted)

            # another person joining and leaving: chat_member (polling asked for it) and service messages
            await person.add_members(group, [friend.id])
            came = await wait_seen("chat_member: the friend added", seen["member"],
                                   lambda u: u.chat.id == tg and u.new_chat_member.user.id == friend.id)
            check(isinstance(came.old_chat_member, ChatMemberLeft) and isinstance(came.new_chat_member, ChatMemberMember)
                  and came.from_user.id == person_id, f"the friend left -> member, by the person: {came!r}")
            joined = await wait_seen("new_chat_members", seen["service"],
                                     lambda m: m.chat.id == tg and m.new_chat_members)
            check([u.id for u in joined.new_chat_members] == [friend.id] and joined.from_user.id == person_id,
                  f"new_chat_members: {joined!r}")

            await friend.leave(group)
            went = await wait_seen("chat_member: the friend left", seen["member"],
                                   lambda u: u.chat.id == tg and u.new_chat_member.user.id == friend.id
                                   and u.new_chat_member.status == "left")
            check(isinstance(went.old_chat_member, ChatMemberMember) and went.from_user.id == friend.id,
                  f"the friend member -> left, by themselves: {went!r}")
            gone = await wait_seen("left_chat_member", seen["service"], lambda m: m.chat.id == tg and m.left_chat_member)
            check(gone.left_chat_member.id == friend.id, f"left_chat_member: {gone!r}")

            # the title: changed by the person (a service message), then by the bot
            await person.update_chat(group, title="Renamed by a person")
            titled = await wait_seen("new_chat_title", seen["service"], lambda m: m.chat.id == tg and m.new_chat_title)
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
            pin = await wait_seen("pinned_message", seen["service"], lambda m: m.chat.id == tg and m.pinned_message)
            check(pin.pinned_message.message_id == seq and pin.pinned_message.text == "pin this",
                  f"pinned_message: {pin!r}")

        async def join_requests():
            group, tg = admin["group"], admin["tg"]
            expire = int(time.time()) + 3600
            link = await bot.create_chat_invite_link(tg, name="door", expire_date=at(expire), creates_join_request=True)
            check(isinstance(link, ChatInviteLink) and link.creates_join_request is True and link.name == "door"
                  and link.is_primary is False and link.is_revoked is False and link.member_limit is None,
                  f"createChatInviteLink: {link!r}")
            check(link.creator.id == bot_id and link.creator.is_bot, f"the link's creator: {link.creator!r}")
            check(link.expire_date == at(expire), f"expire_date {expire}: {link.expire_date!r}")
            code = invite_code(link.invite_link)

            # approved
            newcomer = await Person.register(session, url, "newcomer")
            seen["decisions"][newcomer.id] = "approve"
            pending = await newcomer.join(code, expect=202)
            check(pending.get("requested") is True and pending.get("chat_id") == group, f"the 202: {pending}")
            request = await wait_seen("chat_join_request", seen["join_requests"], lambda r: r.from_user.id == newcomer.id)
            check(request.chat.id == tg and request.user_chat_id == newcomer.id, f"chat_join_request: {request!r}")
            check(request.invite_link is not None and request.invite_link.invite_link == link.invite_link
                  and request.invite_link.creates_join_request is True and request.invite_link.name == "door",
                  f"the request's invite_link: {request.invite_link!r}")
            check(abs(request.date.timestamp() - time.time()) < 120, f"the request's date: {request.date!r}")
            decided = await wait_seen("the approval", seen["decided"], lambda d: d[0] == newcomer.id)
            check(decided[1] is True, f"approve() should return True: {decided!r}")
            now = await bot.get_chat_member(tg, newcomer.id)
            check(isinstance(now, ChatMemberMember), f"approved: a member: {now!r}")
            await newcomer.chat(group)
            came = await wait_seen(
                "chat_member: the newcomer approved", seen["member"],
                lambda u: u.chat.id == tg and u.new_chat_member.user.id == newcomer.id
                and u.new_chat_member.status == "member")
            check(isinstance(came.old_chat_member, ChatMemberLeft), f"chat_member: the newcomer left -> member: {came!r}")

            # declined
            stranger = await Person.register(session, url, "stranger")
            seen["decisions"][stranger.id] = "decline"
            await stranger.join(code, expect=202)
            decided = await wait_seen("the decline", seen["decided"], lambda d: d[0] == stranger.id)
            check(decided[1] is True, f"decline() should return True: {decided!r}")
            now = await bot.get_chat_member(tg, stranger.id)
            check(isinstance(now, ChatMemberLeft), f"declined: not a member: {now!r}")
            await stranger.chat(group, expect=(403, 404))

            # no request to decide
            await refused(bot.approve_chat_join_request(tg, stranger.id), "HIDE_REQUESTER_MISSING")
            await refused(bot.decline_chat_join_request(tg, person_id), "HIDE_REQUESTER_MISSING")

            # edited, then revoked: the link stops working
            edited = await bot.edit_chat_invite_link(tg, link.invite_link, name="front door", expire_date=at(expire),
                                                     creates_join_request=True)
            check(edited.invite_link == link.invite_link and edited.name == "front door"
                  and edited.creates_join_request is True and edited.is_revoked is False,
                  f"editChatInviteLink: {edited!r}")
            revoked = await bot.revoke_chat_invite_link(tg, link)
            check(revoked.invite_link == link.invite_link and revoked.is_revoked is True,
                  f"revokeChatInviteLink: {revoked!r}")
            late = await Person.register(session, url, "late")
            await late.join(code, expect=404)

            # a link for one member, without approval
            once = await bot.create_chat_invite_link(tg, member_limit=1)
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
            check(await bot.ban_chat_member(tg, victim.id, until_date=at(until)) is True, "banChatMember")
            banned = await bot.get_chat_member(tg, victim.id)
            check(isinstance(banned, ChatMemberBanned) and banned.status == "kicked" and banned.until_date == at(until),
                  f"kicked until {until}: {banned!r}")
            kicked = await wait_seen("chat_member: the victim banned", seen["member"],
                                     lambda u: u.chat.id == tg and u.new_chat_member.user.id == victim.id
                                     and u.new_chat_member.status == "kicked")
            check(kicked.from_user.id == bot_id and isinstance(kicked.old_chat_member, ChatMemberMember),
                  f"member -> kicked by the bot: {kicked!r}")
            check(kicked.new_chat_member.until_date == at(until),
                  f"chat_member: kicked until {until}: {kicked.new_chat_member!r}")
            await victim.chat(group, expect=(403, 404))

            primary = await bot.export_chat_invite_link(tg)
            check(isinstance(primary, str) and "/join/" in primary, f"exportChatInviteLink: {primary!r}")
            code = invite_code(primary)
            await victim.join(code, expect=403)

            check(await bot.unban_chat_member(tg, victim.id, only_if_banned=True) is True, "unbanChatMember")
            after = await bot.get_chat_member(tg, victim.id)
            check(isinstance(after, ChatMemberLeft), f"unbanned: left, not kicked: {after!r}")
            await victim.join(code, expect=200)
            back = await bot.get_chat_member(tg, victim.id)
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
            out = await bot.get_chat_member(tg, late.id)
            check(isinstance(out, ChatMemberLeft), f"unbanChatMember removes a member: {out!r}")
            await late.chat(group, expect=(403, 404))
            await late.join(invite_code(fresh), expect=200)

        async def administration():
            group, tg, victim = admin["group"], admin["tg"], admin["victim"]
            admins = await bot.get_chat_administrators(tg)
            by_id = {m.user.id: m for m in admins}
            check(set(by_id) == {person_id, bot_id} and isinstance(by_id[person_id], ChatMemberOwner)
                  and isinstance(by_id[bot_id], ChatMemberAdministrator),
                  f"the owner and the bot administer: {admins!r}")
            count = await bot.get_chat_member_count(tg)
            info = await person.chat(group)
            check(count == info["member_count"], f"getChatMemberCount {count} vs member_count {info['member_count']}")

            check(await bot.restrict_chat_member(tg, victim.id, ChatPermissions(can_send_messages=False)) is True,
                  "restrictChatMember")
            muted = await bot.get_chat_member(tg, victim.id)
            check(isinstance(muted, ChatMemberRestricted) and muted.is_member is True
                  and muted.can_send_messages is False, f"restricted: {muted!r}")
            change = await wait_seen(
                "chat_member: the victim restricted", seen["member"],
                lambda u: u.chat.id == tg and u.new_chat_member.user.id == victim.id
                and u.new_chat_member.status == "restricted")
            check(isinstance(change.old_chat_member, ChatMemberMember) and change.from_user.id == bot_id
                  and change.new_chat_member.can_send_messages is False, f"chat_member: member -> restricted: {change!r}")
            await victim.call("POST", f"/chats/{group}/messages", {"text": "can I talk?"}, expect=403)
            check(await bot.restrict_chat_member(tg, victim.id, ChatPermissions(can_send_messages=True)) is True,
                  "restrictChatMember")
            free = await bot.get_chat_member(tg, victim.id)
            check(free.status in ("member", "restricted") and getattr(free, "can_send_messages", True) is True,
                  f"allowed to send again: {free!r}")
            await victim.send(group, "I can talk")

            check(await bot.promote_chat_member(tg, victim.id, can_pin_messages=True, can_invite_users=True) is True,
                  "promoteChatMember")
            promoted = await bot.get_chat_member(tg, victim.id)
            check(isinstance(promoted, ChatMemberAdministrator) and promoted.can_pin_messages
                  and promoted.can_invite_users and not promoted.can_delete_messages
                  and not promoted.can_restrict_members and not promoted.can_promote_members
                  and not promoted.can_change_info, f"an admin with pin and invite: {promoted!r}")
            change = await wait_seen(
                "chat_member: the victim promoted", seen["member"],
                lambda u: u.chat.id == tg and u.new_chat_member.user.id == victim.id
                and u.new_chat_member.status == "administrator")
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
            demoted = await bot.get_chat_member(tg, victim.id)
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
            left = await wait_seen("my_chat_member: the bot left", seen["my_member"],
                                   lambda u: u.chat.id == tg and u.new_chat_member.status == "left")
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
            kicked = await wait_seen("my_chat_member: the bot removed", seen["my_member"],
                                     lambda u: u.chat.id == tg and u.new_chat_member.status == "kicked")
            check(isinstance(kicked.new_chat_member, ChatMemberBanned) and kicked.from_user.id == person_id,
                  f"member -> kicked, by the person: {kicked!r}")

        async def flood():
            for i in range(60):
                try:
                    await bot.send_message(person_id, f"flood {i}")
                except RetryAfter as error:
                    seconds = whole_seconds(error.retry_after)
                    check(seconds is not None and seconds >= 1,
                          f"retry_after should be an int >= 1: {error.retry_after!r}")
                    return
            raise Failure("60 messages into one chat and no RetryAfter")

        async def no_problems():
            check(not seen["errors"], "handlers failed:\n  " + "\n  ".join(seen["errors"][:10]))
            check(not problems.lines, problems.summary("PTB"))

        try:
            code = await run_suite("ptb", [
                ("getMe", start),
                ("getUpdates takes Update.ALL_TYPES", all_types),
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
            if app.updater.running:
                try:
                    await app.updater.stop()
                except Exception as error:  # its last getUpdates (an update PTB cannot parse): say so, stop the rest
                    print(f"ptb: stopping the updater: {type(error).__module__}.{type(error).__name__}: {error}",
                          flush=True)
            if app.running:
                await app.stop()
    if code and problems.lines:
        print(problems.summary("PTB"), flush=True)
    return code


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
