"""Payments for the Odoo connector: `account.payment` ops registered through Odoo's "Register Payment"
wizard, once per reference (the `Payments` part of connectors.odoo's docstring says how).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from connectors.odoo_rpc import OdooRPCError
from hub.errors import OutcomeUnknown
from hub.io.connector import ObjectSpec
from hub.io.records import Record, RecordError, WriteOp, WriteResult
from hub.io.redact import redact

if TYPE_CHECKING:
    from connectors.odoo import OdooConnector

INVOICE_LINK = "reconciled_invoice_ids"  # how a payment op names the invoice it pays
PAYMENT_FIELDS = frozenset({INVOICE_LINK, "amount", "date", "ref", "currency_id", "journal_id"})


def register_payments(odoo: OdooConnector, obj: ObjectSpec, ops: Sequence[WriteOp]) -> list[WriteResult]:
    """Record "invoice X paid A on D with reference R" once per reference (see connectors.odoo)."""
    odoo._prefetch_related(obj, ops)
    known = _payments(odoo, obj, [op.values.get("ref") for op in ops], [op.target_id for op in ops])
    results: list[WriteResult] = []
    for op in ops:
        try:
            results.append(_register_payment(odoo, obj, op, known))
        except ValueError as exc:
            results.append(WriteResult(op.target_id, error=RecordError("INVALID_VALUE", str(exc))))
        except OdooRPCError as exc:
            if not exc.about_records:
                raise
            code = exc.name.rsplit(".", 1)[-1]
            results.append(WriteResult(op.target_id, error=RecordError(code, redact(str(exc)))))
    return results


def _payments(
    odoo: OdooConnector, obj: ObjectSpec, refs: list[Any], ids: list[str | None]
) -> dict[str, Record]:
    """Payments already in Odoo (not cancelled), by `ref` and by id: one call per batch."""
    wanted_refs = sorted({str(r) for r in refs if r})
    wanted_ids = sorted({int(i) for i in ids if i})
    domain = [("state", "!=", "cancel"), "|", ("ref", "in", wanted_refs), ("id", "in", wanted_ids)]
    fields = ["ref", "amount", "name"]
    rows = odoo.execute(obj.name, "search_read", domain, fields=fields) if wanted_refs or wanted_ids else []
    found: dict[str, Record] = {}
    for row in rows:
        found[f"id:{row['id']}"] = row
        if row.get("ref"):
            found[f"ref:{row['ref']}"] = row
    return found


def _register_payment(
    odoo: OdooConnector, obj: ObjectSpec, op: WriteOp, known: dict[str, Record]
) -> WriteResult:
    values = odoo._values(obj.name, op.values, update=False)
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
    payment_id = _payment_wizard(odoo, obj, values, amount)
    known[f"ref:{values['ref']}"] = {"id": payment_id, "amount": amount, "name": f"id {payment_id}"}
    if obj.external_id_field:
        odoo.execute(obj.name, "write", [payment_id], {obj.external_id_field: op.hub_id})
    return WriteResult(str(payment_id), created=True)


def _payment_wizard(odoo: OdooConnector, obj: ObjectSpec, values: Record, amount: Decimal) -> int:
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
        wizard_id = odoo.execute(model, "create", wizard, context=context)
        action = odoo.execute(model, "action_create_payments", [wizard_id], context=context, idempotent=False)
    except OutcomeUnknown:  # the answer was lost: the payment may exist
        again = _payments(odoo, obj, [values["ref"]], []).get(f"ref:{values['ref']}")
        if again is None:
            raise
        return int(again["id"])
    return int(action["res_id"])
