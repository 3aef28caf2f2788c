"""Identity resolution (issue 17): which records, in every system, are one person or organisation.

`normalize` turns a record's e-mail, phone, tax number, web domain and names into match values;
`resolve` clusters records by the hub's own cross-references and deterministic rules over those
values. Probabilistic linkage, golden records, the CLI and the 360° view build on these.
"""
