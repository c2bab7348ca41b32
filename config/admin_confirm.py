"""Issue 15: one confirmation step for every money move and decision in the
admin, reached both from a list action and from a button on the record's
page (unfold's ``actions_detail``).

A ``Step`` says what its page shows (``preview``: rows → ``Move``s, read
from the app's selectors: shop, order, amount, route, deposit balance
before → after) and what its button does (``perform``: one call of the
app's existing service per row). Nothing moves before the button is
pressed; a second post of the same page finds each row already moved (the
service refuses it with a ``DomainError``, reported in words) and moves
nothing; the page's "back" link is a plain link, so it does nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.decorators import action as unfold_action
from unfold.enums import ActionVariant

from .errors import DomainError
from .labels import money

NO_REASON, OPTIONAL, REQUIRED = "none", "optional", "required"


@dataclass
class Move:
    """What one row's step will do, shown before it is done."""

    label: str  # the row as a person names it: an order number, a ticket number, a shop
    label_title: str = ""  # what ``label`` is ("Ticket number"), when it is neither the order nor the shop
    shop: str = ""
    order_no: str = ""
    amount: Decimal | None = None
    route: str = ""
    balance_before: Decimal | None = None  # the shop's deposit (P8)
    balance_after: Decimal | None = None
    facts: list[tuple[str, str]] = field(default_factory=list)  # anything else the decision needs
    refused: str = ""  # why the service will refuse this row (already decided …): shown, not hidden

    @property
    def amount_text(self) -> str:
        return money(self.amount)

    @property
    def balance(self) -> str:
        if self.balance_before is None:
            return "—"
        if self.balance_after is None or self.balance_after == self.balance_before:
            return gettext("%(balance)s (unchanged)") % {"balance": money(self.balance_before)}
        return f"{money(self.balance_before)} → {money(self.balance_after)}"

    def all_facts(self) -> list[tuple[str, str]]:
        rows = [(self.label_title, self.label)] if self.label_title else []
        rows += [(_("Shop"), self.shop), (_("Order"), self.order_no)]
        if self.amount is not None:
            rows.append((_("Amount"), money(self.amount)))
        if self.route:
            rows.append((_("Route"), self.route))
        if self.balance_before is not None:
            rows.append((_("Deposit balance before → after"), self.balance))
        return [(label, value) for label, value in [*rows, *self.facts] if value not in ("", None)]


def running_balances(moves: list[Move], shop_key: Callable[[Move], object] = lambda m: m.shop) -> list[Move]:
    """Several moves on one shop: each starts from the previous one's balance."""
    last: dict = {}
    for move in moves:
        if move.refused or move.balance_before is None:
            continue
        key = shop_key(move)
        if key in last:
            after = move.balance_after if move.balance_after is not None else move.balance_before
            change = after - move.balance_before
            move.balance_before = last[key]
            move.balance_after = move.balance_before + change
        last[key] = move.balance_after if move.balance_after is not None else move.balance_before
    return moves


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)

    def __init__(self, *args, need: str = REQUIRED, label=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = need == REQUIRED
        if label:
            self.fields["reason"].label = label


@dataclass
class Step:
    """One confirmed step: its page (``preview``) and its button (``perform``)."""

    name: str  # the list action's name and the detail button's URL path
    title: str
    button: str
    preview: Callable[[list], list[Move]]
    perform: Callable  # perform(row, reason, by, now): the app's service, once
    done: str  # "%(n)d … done." after the button
    reason: str = NO_REASON  # none | optional | required
    reason_label: str | None = None
    intro: str = ""
    danger: bool = False  # a money move or a sanction: the button is red
    rows: Callable | None = None  # queryset → the rows the step applies to (default: all selected)

    # --- the two ways in ---------------------------------------------------------------

    def list_action(self, modeladmin, request, queryset):
        """The list action: the page first; its button posts ``confirm=yes``."""
        selected = list(queryset.values_list("pk", flat=True))
        targets = list(self.rows(queryset) if self.rows else queryset)
        hidden = [("action", self.name)] + [(admin.helpers.ACTION_CHECKBOX_NAME, pk) for pk in selected]
        form = self._form(request)
        if form.is_bound and form.is_valid():
            self._run(modeladmin, request, targets, form.cleaned_data.get("reason", ""))
            return None
        return self._page(modeladmin, request, targets, form, hidden, request.get_full_path())

    def detail_view(self, modeladmin, request, object_id, *, allowed: bool):
        """The button on the record's page: the same page, then back to the record."""
        if not allowed:
            raise PermissionDenied
        row = modeladmin.get_object(request, object_id)
        if row is None:
            raise Http404
        change_url = reverse(
            f"admin:{row._meta.app_label}_{row._meta.model_name}_change",
            args=[row.pk],
            current_app=modeladmin.admin_site.name,
        )
        form = self._form(request)
        if request.method == "POST" and form.is_valid():
            self._run(modeladmin, request, [row], form.cleaned_data.get("reason", ""))
            return redirect(change_url)
        return self._page(modeladmin, request, [row], form, [], change_url)

    # --- shared ------------------------------------------------------------------------

    def _form(self, request):
        data = request.POST if request.method == "POST" and request.POST.get("confirm") == "yes" else None
        if self.reason == NO_REASON:
            return _NoForm(data)
        return ReasonForm(data, need=self.reason, label=self.reason_label)

    def _run(self, modeladmin, request, rows: Iterable, reason: str) -> int:
        now, done = timezone.now(), 0
        for row in rows:
            try:
                self.perform(row, reason, request.user, now)
                done += 1
            except DomainError as exc:
                modeladmin.message_user(request, f"{row}: {exc.detail}", messages.ERROR)
        if done:
            modeladmin.message_user(request, self.done % {"n": done}, messages.SUCCESS)
        return done

    def _page(self, modeladmin, request, rows: list, form, hidden, cancel_url):
        moves = self.preview(rows)
        total = sum((m.amount for m in moves if m.amount is not None and not m.refused), Decimal("0.00"))
        context = {
            **modeladmin.admin_site.each_context(request),
            "opts": modeladmin.model._meta,
            "title": self.title,
            "intro": self.intro,
            "moves": moves,
            "single": moves[0] if len(moves) == 1 else None,
            "total": money(total) if len(moves) > 1 and any(m.amount is not None for m in moves) else "",
            "refused": [m for m in moves if m.refused],
            "form": form if self.reason != NO_REASON else None,
            "hidden": hidden,
            "button": self.button,
            "danger": self.danger,
            "cancel_url": cancel_url,
            "nothing_to_do": all(m.refused for m in moves),
        }
        return TemplateResponse(request, "admin/confirm_step.html", context)


class _NoForm(forms.Form):
    pass


def step_action(step: Step, *, permissions: list[str], description):
    """A Django admin list action running ``step``."""

    def run(modeladmin, request, queryset):
        return step.list_action(modeladmin, request, queryset)

    run.__name__ = step.name
    return admin.action(description=description, permissions=permissions)(run)


# --- buttons on the record's page (unfold's actions_detail) ---------------------------


@dataclass
class Button:
    """A button on the record's page leading to ``step``'s confirmation page.
    Shown only to users with ``permission`` and only while ``open_if(record)``
    (a decided record shows no buttons)."""

    step: Step
    permission: str  # "app.codename"
    open_if: Callable[[object], bool]
    label: str | None = None
    variant: ActionVariant = ActionVariant.DEFAULT

    @property
    def name(self) -> str:
        return f"{self.step.name}_button"


class DetailButtonsMixin:
    """For a ModelAdmin: ``detail_buttons = [Button(...), ...]`` become
    unfold ``actions_detail`` (a method and a permission check per button)."""

    detail_buttons: list[Button] = []

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        buttons = cls.__dict__.get("detail_buttons")
        if not buttons:
            return
        for button in buttons:
            setattr(cls, button.name, _button_view(button))
            setattr(cls, f"has_{button.name}_permission", _button_permission(button))
        own = [b.name for b in buttons]
        cls.actions_detail = [*own, *[a for a in getattr(cls, "actions_detail", ()) or () if a not in own]]

    def detail_context(self, obj, step: Step) -> SafeString:
        """The facts a decision needs, as on the confirmation page, for the record's page."""
        if obj is None or obj.pk is None:
            return "—"
        move = step.preview([obj])[0]
        return format_html(
            '<table class="decision-context">{}</table>',
            format_html_join(
                "",
                '<tr><th style="text-align:left;padding:4px 12px 4px 0;font-weight:500;vertical-align:top">{}</th>'
                '<td style="padding:4px 0;overflow-wrap:anywhere">{}</td></tr>',
                move.all_facts(),
            ),
        )


def _button_permission(button: Button):
    def has_permission(self, request, object_id=None) -> bool:
        if not request.user.has_perm(button.permission):
            return False
        if object_id is None:
            return True
        obj = self.get_object(request, object_id)
        return obj is not None and button.open_if(obj)

    return has_permission


def _button_view(button: Button):
    def view(self, request, object_id):
        if not request.user.has_perm(button.permission):
            raise PermissionDenied
        obj = self.get_object(request, object_id)
        if obj is not None and request.method != "POST" and not button.open_if(obj):
            # an old tab or a second click: the record was decided meanwhile
            self.message_user(request, gettext("This record was already decided."), messages.WARNING)
            return redirect(reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk]))
        # a second post of the same page reaches the service, which refuses it in words
        return button.step.detail_view(self, request, object_id, allowed=True)

    view.__name__ = button.name
    action = unfold_action(
        view,
        description=button.label or button.step.title,
        url_path=button.step.name.replace("_", "-"),
        variant=button.variant,
    )
    # listed for unfold's display filter only; the view itself checks (above)
    action.allowed_permissions = [button.name]
    return action
