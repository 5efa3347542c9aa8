"""aiogram 3 against Hybrid's Bot API: a bot written as for Telegram, polling in-process,
while a person (people.py) talks to it over Hybrid's own API.

Scenarios: those of scenarios.py, through aiogram's Bot, its routers and its pydantic types,
every parsed result and update also checked for fields aiogram does not know (`known`); the
flood limit is aiogram's TelegramRetryAfter. Files go up as BufferedInputFile (aiogram points at
every uploaded part with attach://, which `WireSession` sees in the request bodies) and come
down with Bot.download_file / Bot.download.

Environment: HYBRID_URL, BOT_TOKEN, BOT_ID, PERSON_TOKEN, PERSON_ID, CHAT_ID (the person's
direct chat with the bot). Exit 0 when every scenario passed.
"""

import asyncio
import sys

import aiohttp
from aiogram import Bot, Dispatcher, F, Router, html, types
from aiohttp import ClientSession, TraceConfig
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ChatType, ParseMode
from aiogram.exceptions import TelegramBadRequest, TelegramEntityTooLarge, TelegramRetryAfter
from aiogram.filters import Command
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    ChatJoinRequest,
    ChatMemberUpdated,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from pydantic import BaseModel

from people import Person, check, collect_logs, env, run_suite
from scenarios import Library, Scenarios, collected, decide, got_photo, strict


def build(seen):
    """The bot's handlers; what they saw goes to `seen` (scenarios.collected)."""
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

    @router.message(F.photo)
    async def photo(message: Message, bot: Bot):
        data = await bot.download(message.photo[-1])
        await message.answer(got_photo(seen, message, data.getvalue()))

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
        await decide(seen, request)

    return router


class WireSession(AiohttpSession):
    """aiogram's aiohttp session whose requests aiohttp also traces: the body of each send…
    request as it went out, as (method, bytes) in `bodies` (the last 20)."""

    def __init__(self, bodies, **kwargs):
        super().__init__(**kwargs)
        self.bodies = bodies
        self.trace = TraceConfig()
        self.trace.on_request_start.append(self.started)
        self.trace.on_request_chunk_sent.append(self.chunk)
        self.trace.on_request_end.append(self.ended)

    async def create_session(self):
        # aiogram's own, but with the trace (the ClientSession takes it only when made)
        if self._session is None or self._session.closed:
            self._session = ClientSession(connector=self._connector_type(**self._connector_init),
                                          trace_configs=[self.trace])
            self._should_reset_connector = False
        return self._session

    @staticmethod
    async def started(session, context, params):
        context.chunks = []

    @staticmethod
    async def chunk(session, context, params):
        context.chunks.append(bytes(params.chunk))

    async def ended(self, session, context, params):
        method = params.url.path.rsplit("/", 1)[-1]
        if method.startswith("send"):
            self.bodies.append((method, b"".join(context.chunks)))
            del self.bodies[:-20]


def unknown_fields(obj, path, walk):
    """Fields the server sent that aiogram's types do not know (kept as pydantic extras)."""
    if not isinstance(obj, BaseModel):
        return []
    found = [f"{path}.{name}" for name in obj.model_extra or {}]
    for name in type(obj).model_fields:
        found += walk(getattr(obj, name), f"{path}.{name}")
    return found


known = strict("aiogram", unknown_fields)


async def download(bot, file):
    return (await bot.download_file(file.file_path)).getvalue()


def library(dispatcher, bodies):
    """aiogram for scenarios.py: dates go out as Unix times and come back as datetimes; a bad
    request's message is the server's description as it is; uploads are BufferedInputFile."""
    return Library(
        types=types,
        chat_type=ChatType,
        bad_request=TelegramBadRequest,
        too_large=TelegramEntityTooLarge,
        says=lambda error, word: word in error.message,
        retry_after=TelegramRetryAfter,
        retry_seconds=lambda error: error.retry_after if isinstance(error.retry_after, int) else None,
        date=lambda seconds: seconds,
        is_date=lambda parsed, seconds: parsed is not None and int(parsed.timestamp()) == seconds,
        revoking=lambda link: link.invite_link,
        polled=dispatcher.resolve_used_update_types,
        upload=lambda data, name, attach: BufferedInputFile(data, filename=name),
        download=download,
        seconds=lambda duration: duration,
        bodies=bodies,
        known=known,
    )


async def main():
    url = env("HYBRID_URL")
    problems = collect_logs("aiogram")  # printed when a scenario fails

    seen = collected()
    bodies = []
    bot = Bot(env("BOT_TOKEN"), session=WireSession(bodies, api=TelegramAPIServer.from_base(url)))
    dispatcher = Dispatcher()
    dispatcher.include_router(build(seen))

    async with aiohttp.ClientSession() as session:
        person = Person.from_env(session)
        shared = Scenarios(library(dispatcher, bodies), bot, person, seen)

        async def start():
            shared.check_me(await bot.get_me())
            await bot.delete_webhook(drop_pending_updates=True)

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
                *shared.all(),
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
