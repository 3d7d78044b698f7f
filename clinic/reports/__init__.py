"""Manager reports, exports (CSV, XLSX, PDF) and the audit views (issue 7)."""
