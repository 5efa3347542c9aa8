"""Runs one of the libraries' documented example bots (examples/) as its own process, as
people run them, and talks to it: /start is greeted with the person's name, a text is echoed.
Then stops it with SIGINT (Ctrl-C, which both examples handle) and expects a clean exit.

Usage: run_example.py examples/<bot>.py. Environment: HYBRID_URL, BOT_TOKEN, BOT_ID,
PERSON_TOKEN, PERSON_ID, CHAT_ID (the person's direct chat with the bot). The example's own
output is printed only when something fails (what it logged as errors, else its last lines).
"""

import asyncio
import os
import re
import signal
import sys
import tempfile

import aiohttp

from people import Failure, Person, check, env, run_suite

STOP_WAIT = 20.0
# the first answer waits for the example to start too (importing aiogram alone takes seconds)
START_WAIT = 60.0


async def main(example):
    bot_id, chat_id = int(env("BOT_ID")), int(env("CHAT_ID"))
    name = os.path.basename(example)
    log = tempfile.TemporaryFile()
    child = await asyncio.create_subprocess_exec(
        sys.executable, example,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log,
    )
    exited = asyncio.ensure_future(child.wait())

    async def while_running(what, awaitable):
        """`awaitable`'s result, unless the example exits first."""
        waiting = asyncio.ensure_future(awaitable)
        await asyncio.wait({waiting, exited}, return_when=asyncio.FIRST_COMPLETED)
        if not waiting.done():
            waiting.cancel()
            raise Failure(f"the example exited ({child.returncode}) while waiting for {what}")
        return waiting.result()

    async with aiohttp.ClientSession() as session:
        person = Person.from_env(session)
        me = await person.call("GET", "/users/me")
        names = {me.get("display_name") or "", me["username"]} - {""}

        async def start():
            seq = await person.send(chat_id, "/start")
            greeting = await while_running("the /start greeting",
                                           person.wait_message_from(chat_id, bot_id, seq, "the /start greeting", START_WAIT))
            check(any(n in greeting["text"] for n in names), f"the greeting should name {names}: {greeting}")

        async def echo():
            seq = await person.send(chat_id, "hello example")
            answer = await while_running("the echo", person.wait_message_from(chat_id, bot_id, seq, "the echo"))
            check(answer["text"] == "hello example", f"the echo: {answer}")

        async def stop():
            if child.returncode is None:
                child.send_signal(signal.SIGINT)
            try:
                code = await asyncio.wait_for(asyncio.shield(exited), STOP_WAIT)
            except asyncio.TimeoutError:
                raise Failure(f"still running {STOP_WAIT:.0f} s after SIGINT") from None
            check(code == 0, f"exit code {code} after SIGINT")

        try:
            code = await run_suite(name, [("/start greeting", start), ("echo", echo), ("SIGINT stops it", stop)])
        finally:
            if child.returncode is None:
                child.kill()
                await exited
    if code:
        log.seek(0)
        lines = [line[:400] for line in log.read().decode(errors="replace").splitlines()]
        # what is neither a traceback's body nor an INFO line: log errors, the exceptions raised
        errors = list(dict.fromkeys(re.sub(r"^\d{4}-\d\d-\d\d [\d:,.]+ - ", "", line) for line in lines
                                    if not line.startswith((" ", "Traceback"))
                                    and not re.search(r" - (INFO|DEBUG) - |^(INFO|DEBUG):", line)))
        print(f"--- {name} logged (errors, else its last lines) ---", *(errors[:10] or lines[-12:]),
              sep="\n", flush=True)
    return code


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: run_example.py examples/<bot>.py")
    sys.exit(asyncio.run(main(sys.argv[1])))
