"""The peer of the Telegram benches: python-telegram-bot's minimal echo bot, as its docs show it
(one Application, one MessageHandler, long polling), against the base URL given as argument.

    SHANGLIANG_TELEGRAM_TOKEN=… python bench/echo_bot.py http://127.0.0.1:PORT
"""
import os
import sys

from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.message.reply_text(update.message.text, do_quote=True)


def main(base_url: str) -> None:
    application = (Application.builder().token(os.environ["SHANGLIANG_TELEGRAM_TOKEN"])
                   .base_url(f"{base_url}/bot").base_file_url(f"{base_url}/file/bot").build())
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    application.run_polling(allowed_updates=[Update.MESSAGE], timeout=10)


if __name__ == "__main__":
    main(sys.argv[1])
