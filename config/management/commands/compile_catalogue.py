"""``manage.py compile_catalogue``: .po → .mo without GNU gettext.

Django's ``compilemessages`` shells out to ``msgfmt``; this does the same with
the pure-Python ``polib`` so ``make run``/``make test`` and CI need no system
package. The .mo files are build output (git-ignored); a catalogue is
recompiled only when its .po is newer. Fuzzy and untranslated entries are left
out, as ``msgfmt`` does, so they fall back to the English source.
"""

from __future__ import annotations

from pathlib import Path

import polib
from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.translation import trans_real


def catalogue_dirs() -> list[Path]:
    """LOCALE_PATHS plus the ``locale/`` of each app inside the project."""
    base = Path(settings.BASE_DIR).resolve()
    dirs = [Path(p) for p in settings.LOCALE_PATHS]
    for config in apps.get_app_configs():
        path = Path(config.path).resolve()
        if path.is_relative_to(base) and ".venv" not in path.parts:
            dirs.append(path / "locale")
    return [d for d in dict.fromkeys(dirs) if d.is_dir()]


def compile_catalogues(*, force: bool = False) -> list[Path]:
    """Compile every stale .po; returns the .mo files written."""
    written = []
    for directory in catalogue_dirs():
        for po_path in sorted(directory.glob("*/LC_MESSAGES/*.po")):
            mo_path = po_path.with_suffix(".mo")
            if not force and mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                continue
            catalogue = polib.pofile(str(po_path))
            tmp = mo_path.with_suffix(".mo.tmp")
            catalogue.save_as_mofile(str(tmp))
            tmp.replace(mo_path)  # atomic: a running server never reads half a file
            written.append(mo_path)
    if written:
        trans_real._translations = {}  # this process reloads the new catalogues
        trans_real._default = None
    return written


class Command(BaseCommand):
    help = "Compile the .po translation catalogues to .mo with polib (no gettext tools needed)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Recompile even if the .mo is up to date.")

    def handle(self, *args, force: bool = False, **options):
        written = compile_catalogues(force=force)
        base = Path(settings.BASE_DIR)
        for path in written:
            self.stdout.write(f"compiled {path.relative_to(base) if path.is_relative_to(base) else path}")
        if not written and options["verbosity"] > 1:
            self.stdout.write("catalogues up to date")
