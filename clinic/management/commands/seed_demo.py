from django.core.management.base import BaseCommand

from clinic.demo import logins_table, seed


class Command(BaseCommand):
    help = "Create the demo clinic (locations, rooms, staff, patients). Safe to run again."

    def handle(self, *args, **options) -> None:
        seed()
        self.stdout.write(self.style.SUCCESS("Demo data is in place. Demo logins:"))
        self.stdout.write(logins_table())
