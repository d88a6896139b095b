"""Generated gRPC stubs for protos/avatarmesh/v1 (`make protos`). Do not edit."""
