"""K2: ``manage.py staff_otp_enroll <username>``: a TOTP device and recovery
codes for a staff user (prints the otpauth URI, its QR code and the codes)."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from config.otp import staff_otp_enroll


class Command(BaseCommand):
    help = "Enrol a staff user for the admin's second factor (TOTP app + one-time recovery codes)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--recovery-codes", type=int, default=10)
        parser.add_argument("--no-qr", action="store_true", help="Print the URI only, no terminal QR code.")

    def handle(self, *args, username, recovery_codes, no_qr, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        if not user.is_staff:
            raise CommandError(f"{username!r} is not staff; the second factor is for the admin.")
        enrollment = staff_otp_enroll(user=user, recovery_codes=recovery_codes)
        self.stdout.write("Add this to the authenticator app (any TOTP app):")
        self.stdout.write(enrollment.config_url)
        if not no_qr:
            import io

            import segno

            out = io.StringIO()
            segno.make(enrollment.config_url).terminal(out=out, compact=True)
            self.stdout.write(out.getvalue())
        self.stdout.write("One-time recovery codes (each works once; keep them offline):")
        for code in enrollment.recovery_codes:
            self.stdout.write(f"  {code}")
