"""python-telegram-bot 22 against Hybrid's Bot API: an Application written as for Telegram,
its updater polling in-process, while a person (people.py) talks to it over Hybrid's own API.

Scenarios: (a) an HTML echo, (b) an inline keyboard whose callback edits the message and
answers, (d) privacy mode in a group (a command arrives, plain text does not), (c) the flood
limit as PTB's telegram.error.RetryAfter (last: it leaves the direct chat over its limit).

Environment: HYBRID_URL, BOT_TOKEN, BOT_ID, PERSON_TOKEN, PERSON_ID, CHAT_ID (the person's
direct chat with the bot). Exit 0 when every scenario passed.
"""

import asyncio
import datetime
import html
import sys
import warnings

import aiohttp
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.error import RetryAfter
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from people import Failure, Person, bold_entity, check, collect_logs, env, run_suite


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

    async def failed(update: object, context: ContextTypes.DEFAULT_TYPE):
        seen["errors"].append(repr(context.error)[:600])

    app.add_handler(CommandHandler("buttons", buttons))
    app.add_handler(CommandHandler("ping", ping))
    app.add_handler(CallbackQueryHandler(picked, pattern=r"^pick:"))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    app.add_error_handler(failed)


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

    seen = {"texts": [], "sent": [], "callbacks": [], "commands": [], "errors": []}
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
                ("(c) flood limit", flood),
                ("nothing logged", no_problems),
            ])
        finally:
            if app.updater.running:
                await app.updater.stop()
            if app.running:
                await app.stop()
    if code and problems.lines:
        print(problems.summary("PTB"), flush=True)
    return code


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
