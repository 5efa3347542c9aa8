"""python-telegram-bot 22 against Hybrid's Bot API: an Application written as for Telegram,
its updater polling in-process, while a person (people.py) talks to it over Hybrid's own API.

Scenarios: those of scenarios.py, through PTB's Bot, its Application handlers and its types
(dates as aware datetimes), every parsed result and update also checked for fields PTB does not
know (what it keeps in `api_kwargs`); the flood limit is PTB's telegram.error.RetryAfter. Before
polling, getUpdates takes Update.ALL_TYPES, kinds newer than the server's list among them. Files
go up as InputFile (with attach=True where the scenario asks for attach://; InputMedia always
are), the request bodies seen as they go out through an httpx event hook, and come down with
File.download_as_bytearray.

Environment: HYBRID_URL, BOT_TOKEN, BOT_ID, PERSON_TOKEN, PERSON_ID, CHAT_ID (the person's
direct chat with the bot). Exit 0 when every scenario passed.
"""

import asyncio
import datetime
import html
import sys
import warnings

import aiohttp
import telegram
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, TelegramObject, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, NetworkError, RetryAfter
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
from telegram.request import HTTPXRequest

from people import Person, check, collect_logs, env, run_suite
from scenarios import Library, Scenarios, collected, decide, got_photo, strict

# what polling asks for, as PTB's own examples do (`run_polling(allowed_updates=Update.ALL_TYPES)`):
# every kind this PTB knows, some newer than the server's list
ALLOWED_UPDATES = Update.ALL_TYPES


def build(app, seen):
    """The bot's handlers; what they saw goes to `seen` (scenarios.collected, and "errors")."""

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

    async def photo(update: Update, context: ContextTypes.DEFAULT_TYPE):
        message = update.effective_message
        data = await (await message.photo[-1].get_file()).download_as_bytearray()
        await message.reply_text(got_photo(seen, message, data), do_quote=False)

    async def service(update: Update, context: ContextTypes.DEFAULT_TYPE):
        seen["service"].append(update.effective_message)

    async def my_member(update: Update, context: ContextTypes.DEFAULT_TYPE):
        seen["my_member"].append(update.my_chat_member)

    async def member(update: Update, context: ContextTypes.DEFAULT_TYPE):
        seen["member"].append(update.chat_member)

    async def join_request(update: Update, context: ContextTypes.DEFAULT_TYPE):
        await decide(seen, update.chat_join_request)

    async def failed(update: object, context: ContextTypes.DEFAULT_TYPE):
        seen["errors"].append(repr(context.error)[:600])

    app.add_handler(CommandHandler("buttons", buttons))
    app.add_handler(CommandHandler("ping", ping))
    app.add_handler(CallbackQueryHandler(picked, pattern=r"^pick:"))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    app.add_handler(MessageHandler(filters.PHOTO, photo))
    app.add_handler(MessageHandler(filters.StatusUpdate.ALL, service))
    app.add_handler(ChatMemberHandler(my_member, ChatMemberHandler.MY_CHAT_MEMBER))
    app.add_handler(ChatMemberHandler(member, ChatMemberHandler.CHAT_MEMBER))
    app.add_handler(ChatJoinRequestHandler(join_request))
    app.add_error_handler(failed)


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


# fields of Bot API versions newer than PTB 22's (10.0) that the server sends (aiogram's check,
# with Bot API 10.3, knows them)
NEWER = {"can_send_welcome_messages"}


def unknown_fields(obj, path, walk):
    """Fields the server sent that PTB's classes do not know (kept in `api_kwargs`), but for
    those of newer Bot API versions."""
    if not isinstance(obj, TelegramObject):
        return []
    found = [f"{path}.{name}" for name in obj.api_kwargs if name not in NEWER]
    names = {name for cls in type(obj).__mro__ for name in getattr(cls, "__slots__", ())}
    for name in sorted(names - {"api_kwargs"}):
        if not name.startswith("_"):
            found += walk(getattr(obj, name, None), f"{path}.{name}")
    return found


known = strict("PTB", unknown_fields)


def recording(bodies):
    """PTB's request (as the builder's default, 256 connections) with an httpx event hook keeping
    the body of each send… request as it goes out: (method, bytes) in `bodies` (the last 20)."""

    async def sending(request):
        method = request.url.path.rsplit("/", 1)[-1]
        if method.startswith("send"):
            bodies.append((method, await request.aread()))
            del bodies[:-20]

    return HTTPXRequest(connection_pool_size=256, httpx_kwargs={"event_hooks": {"request": [sending]}})


async def download(bot, file):
    return await file.download_as_bytearray()


# PTB for scenarios.py: dates are aware datetimes both ways; a bad request's message is matched
# in any case (PTB capitalizes what follows "Bad Request: "); revokeChatInviteLink is given the
# ChatInviteLink itself; uploads are InputFile.
BODIES = []
PTB = Library(
    types=telegram,
    chat_type=ChatType,
    bad_request=BadRequest,
    too_large=NetworkError,  # PTB's for a 413 ("Request Entity Too Large")
    says=lambda error, word: word.lower() in error.message.lower(),
    retry_after=RetryAfter,
    retry_seconds=lambda error: whole_seconds(error.retry_after),
    date=at,
    is_date=lambda parsed, seconds: parsed == at(seconds),
    revoking=lambda link: link,
    polled=lambda: ALLOWED_UPDATES,
    upload=lambda data, name, attach: InputFile(data, filename=name, attach=attach),
    download=download,
    seconds=whole_seconds,
    bodies=BODIES,
    known=known,
)


async def main():
    url = env("HYBRID_URL")
    problems = collect_logs("telegram")  # printed when a scenario fails
    warnings.simplefilter("ignore")  # PTB's deprecation notes about int time periods

    seen = {**collected(), "errors": []}
    app = (
        ApplicationBuilder()
        .token(env("BOT_TOKEN"))
        .base_url(f"{url}/bot")
        .base_file_url(f"{url}/file/bot")
        .request(recording(BODIES))
        .build()
    )
    build(app, seen)
    bot = app.bot

    async with aiohttp.ClientSession() as session, app:
        person = Person.from_env(session)
        shared = Scenarios(PTB, bot, person, seen)

        async def start():
            # `async with app` ran getMe (Bot.initialize): the bot it found
            shared.check_me(bot.bot)

        async def all_types():
            await bot.get_updates(timeout=0, allowed_updates=ALLOWED_UPDATES)

        async def start_polling():
            await app.start()
            await app.updater.start_polling(poll_interval=0.0, timeout=5, drop_pending_updates=True,
                                            allowed_updates=ALLOWED_UPDATES)

        async def no_problems():
            check(not seen["errors"], "handlers failed:\n  " + "\n  ".join(seen["errors"][:10]))
            check(not problems.lines, problems.summary("PTB"))

        try:
            code = await run_suite("ptb", [
                ("getMe", start),
                ("getUpdates takes Update.ALL_TYPES", all_types),
                ("polling starts", start_polling),
                *shared.all(),
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
