import json
import sys

import yaml
from django.core.management.base import BaseCommand, CommandError

from hotline.actors import Actor
from hotline.directory import DirectoryFileInvalid, directory_export, directory_load


class Command(BaseCommand):
    help = "Load the directory (providers, partners, agencies) from YAML or JSON, or export it."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load", help="create or update entries by name; all or nothing")
        load.add_argument("file", help="a .yaml, .yml or .json file ('-' reads standard input)")
        export = sub.add_parser("export", help="write the directory in the same format")
        export.add_argument("--format", choices=["yaml", "json"], default="yaml")
        export.add_argument("--output", "-o", help="file to write (default: standard output)")

    def handle(self, *args, action, **options):
        if action == "load":
            self._load(options["file"])
        else:
            self._export(options["format"], options.get("output"))

    def _load(self, path):
        try:
            text = sys.stdin.read() if path == "-" else open(path, encoding="utf-8").read()  # noqa: SIM115
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}.") from None
        try:
            result = directory_load(text, actor=Actor.system(f"directory load {path}"))
        except DirectoryFileInvalid as exc:
            for error in exc.errors:
                self.stderr.write(error)
            raise CommandError(
                f"{path}: {len(exc.errors)} problem(s); nothing was loaded."
            ) from None
        for verb, entries in (("created", result.created), ("updated", result.updated)):
            for entry in entries:
                self.stdout.write(f"{verb} {entry}")
        self.stdout.write(
            f"{len(result.created)} created, {len(result.updated)} updated, "
            f"{len(result.unchanged)} unchanged."
        )

    def _export(self, fmt, output):
        data = directory_export()
        text = (
            json.dumps(data, indent=2, ensure_ascii=False) + "\n"
            if fmt == "json"
            else yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
        )
        if output:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(text)
        else:
            self.stdout.write(text, ending="")
