"""Identity resolution: which records, in every system, are one person or organisation.

`normalize` turns a record's e-mail, phone, tax number, web domain and names into match values;
`resolve` clusters records by the hub's own cross-references, deterministic rules over those values
and (`linkage`) Splink's probable pairs; `golden` chooses each cluster's values; `run` reads every
system and keeps the result (`store`); `customer` is the 360° view. Importing this package imports
none of them: the DAG file reads the entity lists below while Airflow parses it.
"""

PARTIES = ("account", "contact")
"""The entities resolved into clusters, organisations first."""
ACTIVITY: dict[str, dict[str, str]] = {
    "ticket": {"account": "organization", "contact": "requester"},
    "sales_order": {"account": "account", "contact": "contact"},
    "invoice": {"account": "account", "contact": "contact"},
    "marketing_member": {"contact": "contact"},
}
"""What customers have, by entity: which reference fields name their organisation and person."""

ALSO: dict[str, dict[str, tuple[str | None, dict[str, str] | None]]] = {
    "contact": {
        "marketing_member": ("contact", None),
        "employee": (
            None,
            {
                "first_name": "first_name",
                "last_name": "last_name",
                "work_email": "email",
                "work_phone": "phone",
                "mobile": "mobile",
            },
        ),
    }
}
"""Records of other entities that are a party too, by the party, then the entity: its reference to
that party's hub record (None: it has none) and which of its fields are which of the party's (None:
every field both name alike). A Mailchimp member is a person, whether a sync made it from a contact
(its `contact` names that contact's hub record, so it joins that cluster) or someone signed up there
alone (it joins a cluster by the rules, as any record does). An employee is a person too: one who is
also a customer, a helpdesk requester or a list member meets those records by the rules (work e-mail,
phone and name). Only those five fields are read of them: no birthdate, home address or employment
status of an employee is kept with the clusters. Each resolution reads them, but a sync of employees
does not start one (`identity__resolve` waits for customers' syncs). Read only from systems no sync of
the party itself reads, so no record is a candidate twice."""
