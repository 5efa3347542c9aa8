"""aiogram 3 against Hybrid's Bot API: a bot written as for Telegram, polling in-process,
while a person (people.py) talks to it over Hybrid's own API.

Scenarios: (a) an HTML echo, (b) an inline keyboard whose callback edits the message and
answers, (d) privacy mode in a group (a command arrives, plain text does not), (c) the flood
limit as aiogram's TelegramRetryAfter (last: it leaves the direct chat over its limit).

Environment: HYBRID_URL, BOT_TOKEN, BOT_ID, PERSON_TOKEN, PERSON_ID, CHAT_ID (the person's
direct chat with the bot). Exit 0 when every scenario passed.
"""

import asyncio
import sys

import aiohttp
from aiogram import Bot, Dispatcher, F, Router, html
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ChatType, ParseMode
from aiogram.exceptions import TelegramRetryAfter
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from people import Failure, Person, bold_entity, check, collect_logs, env, run_suite


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

    return router


async def main():
    url = env("HYBRID_URL")
    bot_id, person_id, chat_id = int(env("BOT_ID")), int(env("PERSON_ID")), int(env("CHAT_ID"))
    problems = collect_logs("aiogram")  # printed when a scenario fails

    seen = {"texts": [], "sent": [], "callbacks": [], "commands": []}
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
