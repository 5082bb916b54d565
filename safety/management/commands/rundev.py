"""The embedded default in one command: migrate, demo data, Celery worker with its beat, and the web app.

SQLite and kombu's filesystem broker: no servers needed. Stop with Ctrl-C (the worker stops too).
"""

from __future__ import annotations

import os
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the whole platform locally: web app, Celery worker and beat, on SQLite with demo data."

    def add_arguments(self, parser) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--no-worker", action="store_true", help="Do not start the Celery worker and beat.")

    def handle(self, *args, addrport: str, no_worker: bool, **options) -> None:
        if os.environ.get("RUN_MAIN"):  # the autoreloader's child: the parent did the set-up
            call_command("runserver", addrport)
            return
        call_command("migrate", interactive=False, verbosity=1)
        call_command("setup_demo")
        worker = None
        if not no_worker:
            schedule = os.path.join(settings.VAR_DIR, "celerybeat-schedule")
            worker = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "safety",
                    "worker",
                    "-B",
                    "--pool=solo",
                    "--loglevel=INFO",
                    "--schedule",
                    schedule,
                ]
            )
            self.stdout.write(self.style.SUCCESS(f"Celery worker with beat started (pid {worker.pid})."))
        self.stdout.write(self.style.SUCCESS(f"Open http://{addrport}/ — demo accounts are listed in README.md."))
        try:
            call_command("runserver", addrport)
        finally:
            if worker is not None:
                worker.terminate()
                try:
                    worker.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    worker.kill()
