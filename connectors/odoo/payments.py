"""Payments for the Odoo connector: `account.payment` ops registered through Odoo's "Register Payment"
wizard, once per reference (the `Payments` part of connectors.odoo's docstring says how).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from connectors.odoo.rpc import OdooRPCError
from hub.errors import OutcomeUnknown
from hub.io.connector import ObjectSpec
from hub.io.records import Record, RecordError, WriteOp, WriteResult

INVOICE_LINK = "reconciled_invoice_ids"  # how a payment op names the invoice it pays
PAYMENT_FIELDS = frozenset({INVOICE_LINK, "amount", "date", "ref", "currency_id", "journal_id"})


class Payments:
    """Payments registered through the wizard, over the connector's `execute` and the writes'
    `prefetch_related` (the records dotted values point at) and `values` (a record in Odoo's form)."""

    def __init__(
        self,
        execute: Callable[..., Any],
        prefetch_related: Callable[[ObjectSpec, Sequence[WriteOp]], None],
        values: Callable[[str, Mapping[str, Any]], Record],
    ) -> None:
        self.execute, self.prefetch_related, self.values = execute, prefetch_related, values

    @staticmethod
    def handles(obj: ObjectSpec, ops: Sequence[WriteOp]) -> bool:
        """Whether these ops register payments: `account.payment` ops naming the invoice they pay."""
        return obj.name == "account.payment" and any(
            p.startswith(INVOICE_LINK) for op in ops for p in op.values
        )

    def register(self, obj: ObjectSpec, ops: Sequence[WriteOp]) -> list[WriteResult]:
        """Record "invoice X paid A on D with reference R" once per reference (see connectors.odoo)."""
        self.prefetch_related(obj, ops)
        known = self._known(obj, [op.values.get("ref") for op in ops], [op.target_id for op in ops])
        results: list[WriteResult] = []
        for op in ops:
            try:
                results.append(self._register(obj, op, known))
            except ValueError as exc:
                results.append(WriteResult(op.target_id, error=RecordError("INVALID_VALUE", str(exc))))
            except OdooRPCError as exc:
                if not exc.about_records:
                    raise
                results.append(WriteResult(op.target_id, error=exc.record_error()))
        return results

    def _known(self, obj: ObjectSpec, refs: list[Any], ids: list[str | None]) -> dict[str, Record]:
        """Payments already in Odoo (not cancelled), by `ref` and by id: one call per batch."""
        wanted_refs = sorted({str(r) for r in refs if r})
        wanted_ids = sorted({int(i) for i in ids if i})
        domain = [("state", "!=", "cancel"), "|", ("ref", "in", wanted_refs), ("id", "in", wanted_ids)]
        fields = ["ref", "amount", "name"]
        rows = (
            self.execute(obj.name, "search_read", domain, fields=fields) if wanted_refs or wanted_ids else []
        )
        found: dict[str, Record] = {}
        for row in rows:
            found[f"id:{row['id']}"] = row
            if row.get("ref"):
                found[f"ref:{row['ref']}"] = row
        return found

    def _register(self, obj: ObjectSpec, op: WriteOp, known: dict[str, Record]) -> WriteResult:
        values = self.values(obj.name, op.values)
        unknown = sorted(set(values) - PAYMENT_FIELDS)
        if unknown:
            raise ValueError(f"a payment registration takes {sorted(PAYMENT_FIELDS)}, not {unknown}")
        if not values.get("ref") or not values.get("amount") or not values.get(INVOICE_LINK):
            raise ValueError(
                "a payment needs the invoice, `amount` and `ref` (which keeps it from being paid twice)"
            )
        amount = Decimal(str(values["amount"]))
        existing = known.get(f"ref:{values['ref']}") or known.get(f"id:{op.target_id}")
        if existing is not None and Decimal(str(existing["amount"])) != amount:
            message = (
                f"payment {values['ref']!r} is already in Odoo as {existing['name']} for "
                f"{existing['amount']}, not {amount}: a posted payment is not changed"
            )
            return WriteResult(str(existing["id"]), error=RecordError("PAYMENT_CHANGED", message))
        if existing is not None:
            return WriteResult(str(existing["id"]))
        payment_id = self._wizard(obj, values, amount)
        known[f"ref:{values['ref']}"] = {"id": payment_id, "amount": amount, "name": f"id {payment_id}"}
        if obj.external_id_field:
            self.execute(obj.name, "write", [payment_id], {obj.external_id_field: op.hub_id})
        return WriteResult(str(payment_id), created=True)

    def _wizard(self, obj: ObjectSpec, values: Record, amount: Decimal) -> int:
        """Odoo's "Register Payment": create the wizard on the invoice, then `action_create_payments`."""
        invoice = values[INVOICE_LINK]
        invoice_id = invoice[0] if isinstance(invoice, list) else invoice
        context = {"active_model": "account.move", "active_ids": [invoice_id]}
        wizard = {"amount": amount, "communication": values["ref"]}
        wizard.update({k: values[k] for k in ("currency_id", "journal_id") if values.get(k)})
        if values.get("date"):
            wizard["payment_date"] = values["date"]
        model = "account.payment.register"
        try:
            wizard_id = self.execute(model, "create", wizard, context=context)
            action = self.execute(
                model, "action_create_payments", [wizard_id], context=context, idempotent=False
            )
        except OutcomeUnknown:  # the answer was lost: the payment may exist
            again = self._known(obj, [values["ref"]], []).get(f"ref:{values['ref']}")
            if again is None:
                raise
            return int(again["id"])
        return int(action["res_id"])
