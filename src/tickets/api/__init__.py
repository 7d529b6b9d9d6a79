"""HTTP interface: FastAPI app factory, routers, schemas, auth and error mapping."""
