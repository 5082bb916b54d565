#!/usr/bin/env python
from __future__ import annotations

import os
import secrets
import sys

# Commands that only read the code need no secret key: they run on a bare checkout (hooks, translators) without
# DEBUG or SECRET_KEY, which the settings otherwise demand. The throwaway key signs nothing that outlives the command.
CODE_ONLY_COMMANDS = {"makemigrations", "makemessages", "compilemessages"}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safety.settings")
    if len(sys.argv) > 1 and sys.argv[1] in CODE_ONLY_COMMANDS and not os.environ.get("SECRET_KEY"):
        os.environ["SECRET_KEY"] = f"code-only-{secrets.token_hex(24)}"
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
