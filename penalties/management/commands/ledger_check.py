"""P8: check that every shop's deposit balance is the sum of its ledger."""

from django.core.management.base import BaseCommand, CommandError

from penalties.services.ledger import ledger_mismatches


class Command(BaseCommand):
    help = "P8: list every shop whose deposit balance is not the sum of its ledger entries (exit 1 if any)."

    def handle(self, *args, **options):
        drifted = ledger_mismatches()
        for shop_id, balance, total in drifted:
            self.stdout.write(f"shop {shop_id}: balance {balance} != ledger sum {total}")
        if drifted:
            raise CommandError(f"{len(drifted)} shop(s) out of balance")
        self.stdout.write("ledger balanced")
