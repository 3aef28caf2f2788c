"""Odoo through its external JSON-RPC API (`/jsonrpc`: `common.authenticate`, `object.execute_kw`).

Connection (Airflow conn_type `odoo`): host (`https://erp.example.com`, or host + port), schema =
database, login, password (or an API key); extras: `ca_bundle`.

Reads:  search_read on the cursor field (write_date) ordered `write_date asc, id asc`, paged by a
        keyset on (write_date, id), so records sharing one second are never skipped. Options:
        `include_archived: true` reads archived records too (context active_test false; they carry
        `active: false` when the mapping reads `active`); `lines: {order_line: [product_id.default_code,
        name, product_uom_qty, price_unit, discount, price_subtotal]}` replaces the one2many's ids by
        the lines' values (list of dicts, in Odoo's order), read with one `read` per page for all
        the page's lines (plus one per dotted relation of the lines, cached); `follow: {sale_order:
        invoice_line_ids.sale_line_ids.order_id}` sets `sale_order` to `{"id": …}`, the first record
        the chain of relations reaches (one `read` per hop and page; see connectors.odoo.relations).
Writes: `create` with a list of records (one call per batch); updates with identical values in one
        `write`, different values in one `load` (Odoo's batch import, by database id), values with
        lines (x2many) in one `write` each. A batch the server refuses is split in halves until the
        refused records are isolated. A one2many given as a list of dicts becomes `(0, 0, line)`
        commands (after `(5,)` on update: the lines are replaced). Delete archives (`active`
        false) when the model has `active`, else unlinks.
Payments: an `account.payment` op naming the invoice (`reconciled_invoice_ids.name` = "INV/2024/00001",
        or `.x_hub_id`, or `.id`) with `amount`, `date`, `ref` (required, the payment's reference) and
        optionally `currency_id.name` / `journal_id.code` is registered through Odoo's "Register
        Payment" wizard (`account.payment.register` create + `action_create_payments`), which posts
        the payment and reconciles it with the invoice. A payment whose `ref` is already in Odoo is
        not registered again (same amount: ok; another amount: error PAYMENT_CHANGED).
Quirks:  empty values read as `false` (turned into None here, except for booleans); many2one as
        `[id, "name"]` (turned into {"id", "name"}); datetimes naive UTC "YYYY-MM-DD HH:MM:SS".
        Numbers with a fraction are read as Decimal and Decimals are sent as exact JSON numbers.
        Dotted paths through a many2one (`country_id.code`, `parent_id.id`) are read by looking
        the related records up, and written by finding the related record with that value; `.name`
        is the related record's `name` field (a product's display name is "[CODE] Name").
        An answer other than HTTP 200 is retried when the session's policy says so (429, 5xx);
        its error names the RPC, the status and the text of Odoo's error page. But a JSON-2 500
        that is Odoo's error object naming what the method raised (`builtins.ValueError` for an
        unknown field in a domain) is not retried: it is an OdooRPCError with that name and status.
Describe: `fields_get` (string, type, required, readonly, selection, relation; custom = `x_…`), with
        `field.id` and `field.<char field>` through each many2one and many2many, and a sample from
        `search_read` of the stored fields, many2ones flattened to those dotted names.
Modules: `connector` (the RPC calls and reads), `rpc` (Odoo's JSON-RPC conventions: errors, dates,
        values), `relations` (reads through relations), `writes` (creates, updates, deletes),
        `payments` (the Register Payment wizard) and `describe` (a model's fields and a sample).
"""

from __future__ import annotations

from connectors.odoo.connector import OdooConnector
from connectors.odoo.rpc import OdooRPCError

__all__ = ["OdooConnector", "OdooRPCError"]
