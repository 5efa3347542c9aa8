"""python-telegram-bot 22 as a webhook bot on Hybrid: PTB's own webhook server
(`Updater.start_webhook`, tornado) on a free localhost port with a secret token; PTB calls
setWebhook itself. A person's message reaches it as a POST carrying
X-Telegram-Bot-Api-Secret-Token (and `Content-Type: application/json`, which PTB insists on)
and the bot echoes. A request without the right secret is refused by PTB, not handled.

The server must be allowed to reach 127.0.0.1 (outbound.allow_private). Environment:
HYBRID_URL, BOT_TOKEN, BOT_ID, PERSON_TOKEN, PERSON_ID, CHAT_ID. Exit 0 when it all passed.
"""

import asyncio
import secrets
import socket
import sys
import warnings

import aiohttp
from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

from people import Person, check, collect_logs, env, run_suite

PATH = "telegram/webhook"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def main():
    url = env("HYBRID_URL")
    bot_id, person_id, chat_id = int(env("BOT_ID")), int(env("PERSON_ID")), int(env("CHAT_ID"))
    problems = collect_logs("telegram", "tornado")  # printed when a scenario fails
    warnings.simplefilter("ignore")

    secret = secrets.token_urlsafe(24)
    handled, errors = [], []

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE):
        handled.append(update.effective_message)
        await update.effective_message.reply_text(update.effective_message.text, do_quote=False)

    async def failed(update: object, context: ContextTypes.DEFAULT_TYPE):
        errors.append(repr(context.error)[:600])

    app = (
        ApplicationBuilder()
        .token(env("BOT_TOKEN"))
        .base_url(f"{url}/bot")
        .base_file_url(f"{url}/file/bot")
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    app.add_error_handler(failed)
    bot = app.bot
    port = free_port()
    hook_url = f"http://127.0.0.1:{port}/{PATH}"

    async with aiohttp.ClientSession() as session, app:
        person = Person.from_env(session)

        async def start_webhook():
            await app.start()
            # PTB calls setWebhook(url, secret_token, allowed_updates, drop_pending_updates)
            await app.updater.start_webhook(listen="127.0.0.1", port=port, url_path=PATH,
                                            secret_token=secret, webhook_url=hook_url,
                                            allowed_updates=[Update.MESSAGE], drop_pending_updates=True)
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
                    check(response.status == 403, f"a request with {headers or 'no secret'}: {response.status}")
            check(len(handled) == before, f"PTB handled a forged update: {handled[before:]!r}")

        async def delete_webhook():
            check(await bot.delete_webhook() is True, "deleteWebhook")
            info = await bot.get_webhook_info()
            check(info.url == "", f"getWebhookInfo after deleteWebhook: {info!r}")

        async def no_problems():
            check(not errors, "handlers failed:\n  " + "\n  ".join(errors[:10]))
            check(not problems.lines, problems.summary("PTB"))

        try:
            code = await run_suite("ptb webhook", [
                ("start_webhook (setWebhook with a secret)", start_webhook),
                ("echo over the webhook", echo_over_webhook),
                ("a wrong secret is refused", wrong_secret_refused),
                ("deleteWebhook", delete_webhook),
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
