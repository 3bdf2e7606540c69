"""Plans as whole documents: plan files (YAML or JSON, checked against a schema) and
closing a reporting period."""
