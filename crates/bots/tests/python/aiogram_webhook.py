"""aiogram 3 as a webhook bot on Hybrid: aiogram's own aiohttp webhook server on a free
localhost port (SimpleRequestHandler with a secret token), registered with setWebhook; a
person's message reaches it as a POST carrying X-Telegram-Bot-Api-Secret-Token and the bot
echoes. A request without the right secret is refused by aiogram, not handled.

The server must be allowed to reach 127.0.0.1 (outbound.allow_private). Environment:
HYBRID_URL, BOT_TOKEN, BOT_ID, PERSON_TOKEN, PERSON_ID, CHAT_ID. Exit 0 when it all passed.
"""

import asyncio
import secrets
import sys

import aiohttp
from aiohttp import web
from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Message
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application

from people import Person, check, collect_logs, env, run_suite

PATH = "/telegram/webhook"


async def main():
    url = env("HYBRID_URL")
    bot_id, person_id, chat_id = int(env("BOT_ID")), int(env("PERSON_ID")), int(env("CHAT_ID"))
    problems = collect_logs("aiogram", "aiohttp.server", "aiohttp.web")  # printed when a scenario fails

    secret = secrets.token_urlsafe(24)
    handled = []
    router = Router()

    @router.message(F.text)
    async def echo(message: Message):
        handled.append(message)
        await message.answer(message.text)

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    bot = Bot(env("BOT_TOKEN"), session=AiohttpSession(api=TelegramAPIServer.from_base(url)))

    app = web.Application()
    SimpleRequestHandler(dispatcher=dispatcher, bot=bot, secret_token=secret).register(app, path=PATH)
    setup_application(app, dispatcher, bot=bot)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    hook_url = f"http://127.0.0.1:{port}{PATH}"

    async with aiohttp.ClientSession() as session:
        person = Person.from_env(session)

        async def set_webhook():
            done = await bot.set_webhook(hook_url, secret_token=secret, drop_pending_updates=True,
                                         allowed_updates=dispatcher.resolve_used_update_types())
            check(done is True, f"setWebhook answered {done!r}")
            info = await bot.get_webhook_info()
            check(info.url == hook_url, f"getWebhookInfo: {info!r}")

        async def echo_over_webhook():
            seq = await person.send(chat_id, "hello webhook")
            answer = await person.wait_message_from(chat_id, bot_id, seq, "the webhook bot's echo")
            check(answer["text"] == "hello webhook", f"the echo: {answer}")
            got = next((m for m in handled if m.message_id == seq), None)
            check(got is not None and got.from_user.id == person_id, f"the update the bot handled: {got!r}")

        async def wrong_secret_refused():
            before = len(handled)
            fake = {"update_id": 999999, "message": {
                "message_id": 999999, "date": 1, "text": "forged",
                "chat": {"id": person_id, "type": "private", "first_name": "X"},
                "from": {"id": person_id, "is_bot": False, "first_name": "X"}}}
            for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "not-" + secret}):
                async with session.post(hook_url, json=fake, headers=headers) as response:
                    check(response.status == 401, f"a request with {headers or 'no secret'}: {response.status}")
            await asyncio.sleep(0)  # a forged update, had it been taken, is handled in a task
            check(len(handled) == before, f"aiogram handled a forged update: {handled[before:]!r}")

        async def delete_webhook():
            check(await bot.delete_webhook() is True, "deleteWebhook")
            info = await bot.get_webhook_info()
            check(info.url == "", f"getWebhookInfo after deleteWebhook: {info!r}")

        async def no_problems():
            check(not problems.lines, problems.summary("aiogram"))

        try:
            code = await run_suite("aiogram webhook", [
                ("setWebhook with a secret", set_webhook),
                ("echo over the webhook", echo_over_webhook),
                ("a wrong secret is refused", wrong_secret_refused),
                ("deleteWebhook", delete_webhook),
                ("nothing logged", no_problems),
            ])
        finally:
            await runner.cleanup()  # setup_application's shutdown closes the bot's session
            await bot.session.close()
    if code and problems.lines:
        print(problems.summary("aiogram"), flush=True)
    return code


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
