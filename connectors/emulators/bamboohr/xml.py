"""BambooHR's XML answers: what the API sends when a request does not ask for JSON (`Accept:
application/json`), as its documentation shows them and PyBambooHR-style clients parse them.

    <directory><fieldset><field id="displayName">Display name</field>…</fieldset>
      <employees><employee id="123"><field id="firstName">Ada</field>…</employee></employees></directory>
    <employee id="123"><field id="firstName">Ada</field>…</employee>
    <employees latest="…"><employee id="1" action="Updated" lastChanged="…"/></employees>
    <fields><field id="4000" type="text" alias="firstName">First name</field>…</fields>
    <report><title>…</title><fields>…</fields><employees>…</employees></report>
    <table><row id="1" employeeId="123"><field id="date">…</field>…</row></table>
    <employees table="jobInfo"><employee id="1" lastChanged="…">
      <row id="1"><field id="date">…</field>…</row></employee></employees>
"""

from __future__ import annotations

from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring


def _fields(parent: Element, values: dict[str, Any]) -> None:
    for name, value in values.items():
        if name != "id":
            SubElement(parent, "field", id=name).text = None if value is None else str(value)


def _employee(parent: Element, row: dict[str, Any]) -> None:
    _fields(SubElement(parent, "employee", id=str(row.get("id", ""))), row)


def _fieldset(parent: Element, tag: str, described: list[dict[str, Any]]) -> None:
    holder = SubElement(parent, tag)
    for field in described:
        SubElement(holder, "field", id=str(field["id"])).text = str(field.get("name") or field["id"])


def render(kind: str, body: Any) -> bytes:
    """The XML of an answer whose JSON is `body` (`kind` names the endpoint)."""
    if kind == "directory":
        root = Element("directory")
        _fieldset(root, "fieldset", body["fields"])
        employees = SubElement(root, "employees")
        for row in body["employees"]:
            _employee(employees, row)
    elif kind == "employee":
        root = Element("employee", id=str(body.get("id", "")))
        _fields(root, body)
    elif kind == "changed":
        root = Element("employees", latest=str(body["latest"]))
        for row in body["employees"].values():
            SubElement(root, "employee", id=row["id"], action=row["action"], lastChanged=row["lastChanged"])
    elif kind == "tables":
        root = Element("employees", table=str(body["table"]))
        for employee_id, entry in body["employees"].items():
            employee = SubElement(root, "employee", id=employee_id, lastChanged=entry["lastChanged"])
            for row in entry["rows"]:
                _fields(SubElement(employee, "row", id=str(row.get("id", ""))), row)
    elif kind == "rows":
        root = Element("table")
        for row in body:
            attributes = {"id": str(row["id"]), "employeeId": str(row["employeeId"])}
            _fields(SubElement(root, "row", attributes), {k: v for k, v in row.items() if k != "employeeId"})
    elif kind == "fields":
        root = Element("fields")
        for field in body:
            attributes = {"id": str(field["id"]), "type": str(field["type"]), "alias": str(field["alias"])}
            SubElement(root, "field", attributes).text = str(field["name"])
    elif kind == "lists":
        root = Element("lists")
        for listed in body:
            element = SubElement(
                root,
                "list",
                fieldId=str(listed["fieldId"]),
                alias=str(listed["alias"]),
                manageable=str(listed["manageable"]),
                multiple=str(listed["multiple"]),
            )
            SubElement(element, "name").text = str(listed["name"])
            options = SubElement(element, "options")
            for option in listed["options"]:
                attributes = {k: str(v) for k, v in option.items() if k != "name" and v is not None}
                SubElement(options, "option", attributes).text = str(option["name"])
    else:  # a custom report
        root = Element("report")
        SubElement(root, "title").text = str(body["title"])
        _fieldset(root, "fields", body["fields"])
        employees = SubElement(root, "employees")
        for row in body["employees"]:
            _employee(employees, row)
    text: bytes = tostring(root, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0"?>\n' + text


__all__ = ["render"]
