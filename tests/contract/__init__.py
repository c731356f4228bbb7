"""Contract tests: schemathesis over openapi.yaml, the cross-account matrix, the QA command."""
