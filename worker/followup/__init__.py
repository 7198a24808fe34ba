"""Follow-up of preventative actions: policy rules, status refresh, reports and their delivery."""
