"""What the API is: the resource catalogue (`catalogue`), the 1.32 object schemas (`schemas`), the OpenAPI v3
documents (`openapi`), the discovery documents (`discovery`) and conversion between versions that share storage
(`conversion`).  Pure data and functions; no I/O besides reading the schema file of ``kubernetes-validate``."""
