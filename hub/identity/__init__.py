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

ALSO: dict[str, dict[str, str]] = {"contact": {"marketing_member": "contact"}}
"""Records of other entities that are a party too, by the party, then the entity and its reference to
that party's hub record: a Mailchimp member is a person, whether a sync made it from a contact (its
`contact` names that contact's hub record, so it joins that cluster) or someone signed up there alone
(it joins a cluster by the rules, as any record does). Read only from systems no sync of the party
itself reads, so no record is a candidate twice."""
