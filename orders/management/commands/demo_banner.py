from django.core.management.base import BaseCommand

from orders.demo import LOGINS, PASSWORD


class Command(BaseCommand):
    help = "Print where the admin is and the demo logins (used by `make run`)."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000/admin/")

    def handle(self, *args, url: str, **options):
        self.stdout.write(self.style.SUCCESS(f"\nAdmin:    {url}"))
        self.stdout.write(f"API docs: {url.replace('/admin/', '/api/docs/')}")
        self.stdout.write(f"Demo logins (password {PASSWORD}):")
        for username, role in LOGINS:
            self.stdout.write(f"  {username:<11} {role}")
        self.stdout.write("Ctrl-C stops the web server, the worker and beat.\n")
