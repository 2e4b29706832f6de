"""Briefbot's Telegram side: handlers, formatting, storage, and the wiring that runs the bot."""
