"""Consent & Template Governance Registry."""
