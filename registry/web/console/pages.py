"""Every console page, registered on the console blueprint."""

from __future__ import annotations

from flask import Blueprint

from registry.web.console.pages_audit import register_audit_pages
from registry.web.console.pages_customers import register_customer_pages
from registry.web.console.pages_policy import register_policy_pages
from registry.web.console.pages_reports import register_report_pages
from registry.web.console.pages_templates import register_template_pages


def register_pages(bp: Blueprint) -> None:
    register_template_pages(bp)
    register_customer_pages(bp)
    register_policy_pages(bp)
    register_audit_pages(bp)
    register_report_pages(bp)
