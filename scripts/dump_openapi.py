"""Print the OpenAPI document the service serves at /openapi.json, without starting it.

The app is built without services (they arrive only through the lifespan, which is
not entered): the document depends on the routes and models alone."""

import json
import sys
from contextlib import AbstractAsyncContextManager

from tickets.api.app import create_app
from tickets.api.services import ApiServices


def _no_services() -> AbstractAsyncContextManager[ApiServices]:
    raise RuntimeError("the document is built without running the app")


def main() -> None:
    document = create_app(_no_services).openapi()
    json.dump(document, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
